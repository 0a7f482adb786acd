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
raw = "../data/raw/example"
start = "2021-09"
end = "2022-04"
out = "../data/processed/example_2021-09_2022-04"
threshold = 5
is_example = True

# %%
from pathlib import Path

from analysis import metrics
from analysis.clean import run_cleaning
from analysis.config import run_paths

# %%
result = run_cleaning(Path(raw), start, end)
result.write(run_paths(Path(out))["clean"])
metrics.write_part(Path(out), "clean", result.metrics())
print(result.summary_fr())

# %% [markdown]
# ## Lignes mises de côté, par motif

# %%
result.rejected_by_reason()

# %% [markdown]
# ## Fichiers lus

# %%
result.tables["files"][["source_file", "instrument", "service_code", "status", "detail"]]
