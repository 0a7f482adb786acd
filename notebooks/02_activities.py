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
# # 2. Activités des projets PRR
#
# Nombre d'activités et participations par axe et par type, parts en nombre et en temps de travail,
# évolution mensuelle et taux de participation des services. Les calculs sont dans
# `analysis.analyses.activities`, les tableaux et figures destinés aux lecteurs dans
# `analysis.publish.activities` ; ce carnet les appelle et enregistre mesures, figures et tableaux.

# %% tags=["parameters"]
# Opened by hand (`nox -s lab`): the parameters of the last run; a production run injects its own below.
# reads: activities, submissions  (the clean tables this notebook reads; the pipeline reruns it when one of them changes)
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
from analysis.analyses import activities
from analysis.config import run_paths
from analysis.ingest.clean import load_clean
from analysis.publish import activities as publish_activities
from analysis.publish.figures import set_theme
from analysis.publish.linked import write_withheld

set_theme()
paths = run_paths(Path(out))
# the columns the analysis reads, its text columns as categoricals (memory at 10 M rows)
clean = load_clean(paths["clean"], columns={"activities": activities.COLUMNS},
                   categories={"activities": activities.CATEGORIES})

# %%
results = activities.analyse_activities(clean["activities"], clean["submissions"], start, end)
# The attendance of one activity is a count of persons: under the threshold it is printed « < 5 »
metrics.write_part(Path(out), "activities", activities.activity_metrics(results)
                   | publish_activities.activities_prose(results, threshold))
write_withheld(Path(out), "activities", publish_activities.withheld_metrics(results, threshold))
written = publish_activities.save_outputs(results, Path(out), is_example, threshold)
written

# %% [markdown]
# ## Activités par type et par axe

# %%
display(Markdown((paths["tables"] / "activites-axes.md").read_text(encoding="utf-8")))
display(Markdown((paths["tables"] / "activites-types.md").read_text(encoding="utf-8")))

# %%
display(SVG(filename=str(paths["figures"] / "activites-types.svg")))

# %% [markdown]
# ## Évolution mensuelle et participation des services

# %%
display(SVG(filename=str(paths["figures"] / "activites-mois.svg")))
display(SVG(filename=str(paths["figures"] / "activites-participation.svg")))
