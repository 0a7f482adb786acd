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
# # 5. Gradient social des demandes
#
# Taux de nouvelles demandes pour 10 000 habitant·e·s par commune, pour les usager·e·s des projets PRR et
# pour les demandes du recensement des SSM, selon le revenu des communes : quintiles, indices de pente et
# relatif d'inégalité (SII, RII), modèle de Poisson ou binomial négatif, carte.
# Les calculs sont dans `analysis.analyses.gradient`, leur présentation (tableaux, figures, carte) dans
# `analysis.publish.gradient` ; ce carnet les appelle et enregistre mesures, figures et tableaux.

# %% tags=["parameters"]
# Opened by hand (`nox -s lab`): the parameters of the last run; a production run injects its own below.
# reads: users, census  (the clean tables this notebook reads; the pipeline reruns it when one of them changes)
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
from analysis.analyses import gradient
from analysis.config import run_paths
from analysis.ingest.clean import load_clean
from analysis.publish import gradient as publish
from analysis.publish.figures import set_theme
from analysis.publish.linked import write_withheld

set_theme()
paths = run_paths(Path(out))
tables = load_clean(paths["clean"])

# %%
results = gradient.analyse_gradient(tables["users"], tables["census"], start, end)
metrics.write_part(Path(out), "gradient", gradient.gradient_metrics(results) | publish.gradient_prose(results))
written = publish.save_outputs(results, paths["figures"], paths["tables"], threshold, is_example,
                              audit_dir=Path(out))
write_withheld(Path(out), "gradient", publish.withheld_metrics(results, threshold))
written

# %% [markdown]
# ## Carte des taux par commune (recensement des SSM, ou usager·e·s PRR sans recensement)

# %%
display(SVG(filename=str(paths["figures"] / f"{written['map']}.svg")))

# %% [markdown]
# ## Indices d'inégalité

# %%
display(Markdown((paths["tables"] / "gradient-indices.md").read_text(encoding="utf-8")))
