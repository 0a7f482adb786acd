# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Nettoyage des données brutes
#
# Lit tous les classeurs de suivi et fichiers de recensement du dossier brut,
# écrit les tables nettoyées (Parquet) et montre ce qui a été mis de côté, et pourquoi.

# %% tags=["parameters"]
# Opened by hand (`nox -s lab`): the parameters of the last run; a production run injects its own below.
from analysis import config

_last = config.notebook_defaults()
raw = _last[0]
start = _last[1]
end = _last[2]
out = _last[3]
threshold = _last[4]
is_example = _last[5]

# %%
from pathlib import Path

from IPython.display import Markdown, display

from analysis import cache, metrics
from analysis.config import run_paths
from analysis.ingest import quality
from analysis.ingest.clean import run_cleaning
from analysis.ingest.parts import Spill
from analysis.publish.linked import write_audit, write_withheld

# %%
paths = run_paths(Path(out))
Spill.sweep(paths["cache"])  # parts left on disk by an interrupted cleaning
result = run_cleaning(Path(raw), start, end, spill=paths["cache"])  # clean rows on disk as each sheet is cleaned
result.write(paths["clean"], digests_memo=paths["cache"] / cache.DIGESTS_MEMO)
metrics.write_part(Path(out), "clean", result.metrics())
# Counts of persons: one decision for the quality tables, this account and the totals of the chapters
plan = quality.plan_of_run(result.tables, result.notes, threshold)
write_audit(plan, Path(out), "quality")
write_withheld(Path(out), "quality", plan.withheld_metrics())
written = quality.save_quality_tables(result.tables, result.ignored_files, paths["tables"], threshold, is_example,
                                      notes=result.notes, decisions=result.decisions, plan=plan)
result.close()  # the clean rows' parts on disk go now (the kernel is stopped without its exit handlers)
print(result.summary_fr(threshold, shown=plan.texts()))

# %% [markdown]
# ## Lignes lues, retenues et mises de côté, par motif
#
# Tableaux publiés (effectifs de personnes sous le seuil masqués), repris dans l'annexe
# « Qualité des données » du rapport.

# %%
for name in written:
    display(Markdown((paths["tables"] / f"{name}.md").read_text(encoding="utf-8")))
