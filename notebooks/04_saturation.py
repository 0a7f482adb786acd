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
# # 4. Saturation des services de santé mentale
#
# Recensement des nouvelles demandes adressées aux SSM : issue des demandes par vague, réorientations
# faute de disponibilité, comparaison des vagues, modèle logistique et délai jusqu'au premier rendez-vous.
# Les calculs sont dans `analysis.analyses.saturation`, leur présentation (tableaux, figures, phrases) dans
# `analysis.publish.saturation` ; ce carnet les appelle et enregistre mesures, figures et tableaux.

# %% tags=["parameters"]
# Opened by hand (`nox -s lab`): the parameters of the last run; a production run injects its own below.
# reads: census  (the clean tables this notebook reads; the pipeline reruns it when one of them changes)
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

from IPython.display import SVG, Markdown, display

from analysis import metrics
from analysis.analyses import saturation
from analysis.config import run_paths
from analysis.ingest.clean import load_clean
from analysis.publish import saturation as publish
from analysis.publish.figures import set_theme
from analysis.publish.linked import write_audit, write_withheld

set_theme()
paths = run_paths(Path(out))
census = load_clean(paths["clean"])["census"]

# %%
results = saturation.analyse_saturation(census, saturation.census_income(census))
# The chapter's tables protected together: a count hidden in one table is hidden in every table, figure and
# sentence, and cannot be recomputed from the others (the check of each hidden count is kept in `disclosure/`).
plan = publish.saturation_plan(results, threshold)
write_audit(plan, Path(out), "saturation")
metrics.write_part(Path(out), "saturation", saturation.saturation_metrics(results)
                   | publish.saturation_prose(results, threshold=threshold, plan=plan))
write_withheld(Path(out), "saturation", publish.withheld_metrics(results, threshold, plan))
written = publish.save_outputs(results, paths["figures"], paths["tables"], threshold, is_example, plan=plan)
written

# %% [markdown]
# ## Issue des demandes par vague

# %%
display(SVG(filename=str(paths["figures"] / "saturation-issues.svg")))

# %%
display(Markdown((paths["tables"] / "saturation-vagues.md").read_text(encoding="utf-8")))

# %% [markdown]
# ## Lecture du modèle

# %%
print(publish.saturation_prose(results, threshold=threshold, plan=plan).get(
    "saturation.model.sentence", "Modèle non estimable sur ces données."))

# %% [markdown]
# ## Comparaison des vagues et délais

# %%
print(publish.comparison_sentence(results, threshold=threshold, plan=plan))
print(publish.wait_sentence(results, threshold, plan=plan))
