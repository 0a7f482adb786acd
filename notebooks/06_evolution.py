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
# # 6. Évolution : cette période comparée aux éditions précédentes
#
# Compare cette période aux éditions antérieures dont les données ont été fournies à la construction du
# rapport (leurs tables nettoyées et leur fiche de provenance) : activités et participations par mois,
# nouvelles demandes, parts, âge, taux de participation, par service, avec les intervalles publiables.
# Les calculs sont dans `analysis.analyses.evolution`, les tableaux, la figure et les phrases destinés aux
# lecteurs (secret statistique appliqué) dans `analysis.publish.evolution`. Sans édition antérieure, ce
# carnet n'écrit que le texte « aucune édition antérieure » et une mesure `evolution.compared_n` nulle.

# %% tags=["parameters"]
# reads: activities, submissions, users  (the clean tables this notebook reads; the pipeline reruns it when one of them changes)
from analysis import config

raw = str(config.EXAMPLE_RAW_DIR)
start = config.EXAMPLE_START
end = config.EXAMPLE_END
out = str(config.default_out(config.EXAMPLE_RAW_DIR, config.EXAMPLE_START, config.EXAMPLE_END))
threshold = config.DEFAULT_DISCLOSURE_THRESHOLD
is_example = True
compare = []

# %%
from pathlib import Path

from IPython.display import SVG, Markdown, display

from analysis import metrics
from analysis.analyses import evolution
from analysis.config import run_paths
from analysis.ingest.clean import load_clean
from analysis.publish import evolution as publish_evolution
from analysis.publish.figures import set_theme
from analysis.publish.linked import users_plan, write_withheld

set_theme()
paths = run_paths(Path(out))

# %%
# The code changes declared with this period (and the compared ones) are kept with its outputs,
# for a later edition that compares itself with this one once the raw folder is gone.
declared = evolution.declared_code_changes(raw, tuple(compare))
(Path(out) / "code_changes.csv").unlink(missing_ok=True)
if len(declared):
    declared.to_csv(Path(out) / "code_changes.csv", index=False, encoding="utf-8")
if compare:
    results = evolution.analyse_evolution(Path(out), [Path(p) for p in compare], start, end, raw=raw)
    metrics.write_part(Path(out), "evolution", evolution.evolution_metrics(results))
    # the cells hidden in the referrals chapter are hidden here too: the same plan, from the same rows
    plan = users_plan(load_clean(paths["clean"])["users"], start, end, threshold)
    plans = publish_evolution.users_plans(results, threshold, plan)
    written = publish_evolution.save_outputs(results, Path(out), threshold, is_example, plans=plans)
    write_withheld(Path(out), "evolution", publish_evolution.withheld_metrics(results, threshold, plans=plans))
else:
    metrics.write_part(Path(out), "evolution", {"evolution.compared_n": 0})
    written = publish_evolution.save_no_edition(Path(out))
    write_withheld(Path(out), "evolution", [])
print(f"Éditions comparées : {len(compare)}")
written

# %%
for name in written["tables"]:
    display(Markdown((paths["tables"] / f"{name}.md").read_text(encoding="utf-8")))
for name in written["figures"]:
    display(SVG(filename=str(paths["figures"] / f"{name}.svg")))
