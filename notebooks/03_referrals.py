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
# # 3. Orientations : qui envoie les nouvelles demandes ?
#
# Envoyeurs des nouvelles demandes d'usager·e·s (avec leurs intervalles quand il y en a), part de la première ligne
# comparée à celle des services de santé mentale (recensement), profil des personnes et demandes
# des professionnel·le·s. Les calculs sont dans `analysis.analyses.referrals`, les tableaux, figures
# et phrases destinés aux lecteurs (secret statistique appliqué) dans `analysis.publish.referrals`.

# %% tags=["parameters"]
# Opened by hand (`nox -s lab`): the parameters of the last run; a production run injects its own below.
# reads: users, pros, census  (the clean tables this notebook reads; the pipeline reruns it when one of them changes)
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
from analysis.analyses import referrals
from analysis.config import run_paths
from analysis.ingest.clean import load_clean
from analysis.publish import referrals as publish_referrals
from analysis.publish.figures import set_theme
from analysis.publish.linked import users_plan, write_audit, write_withheld

set_theme()
paths = run_paths(Path(out))
clean = load_clean(paths["clean"])

# %%
results = referrals.analyse_referrals(clean["users"], clean["pros"], clean["census"], start, end)
# communes, referrers and genders protected together: the same cells as the gradient and Évolution chapters'
# on the 2022 report's period, the figures that report printed are known to readers: cells are hidden around them
plan = users_plan(clean["users"], start, end, threshold)
write_audit(plan, Path(out), "users")
metrics.write_part(Path(out), "referrals",
                   referrals.referral_metrics(results) | publish_referrals.referral_prose(results, threshold, plan))
write_withheld(Path(out), "referrals", publish_referrals.withheld_metrics(results, plan, threshold))
written = publish_referrals.save_outputs(results, Path(out), threshold, is_example, plan)
written

# %% [markdown]
# ## Envoyeurs et première ligne

# %%
display(Markdown((paths["tables"] / "orientations-envoyeurs.md").read_text(encoding="utf-8")))
print(publish_referrals.comparison_sentence(results, threshold, plan))

# %%
for name in written["figures"]:
    display(SVG(filename=str(paths["figures"] / f"{name}.svg")))

# %% [markdown]
# ## Profil des personnes et demandes des professionnel·le·s

# %%
for name in ("orientations-ages", "orientations-communes", "orientations-revenus", "orientations-professionnels"):
    display(Markdown((paths["tables"] / f"{name}.md").read_text(encoding="utf-8")))
