"""Editions over time for readers: the « Évolution » chapter's tables, figure and sentences.

The exact comparisons come from :mod:`analysis.analyses.evolution`. Disclosure
control applies to every compared person count and to what can be derived from it,
with the report's tools (:mod:`analysis.publish.disclosure`, :mod:`analysis.publish.sdc`):

- person counts (new user demands, by referrer, by gender, by service) below the
  threshold, zero included, are hidden; complementary cells are chosen so that the
  LP audit passes on what a reader can combine in each period: the referrer and
  gender lines (the same lines, hence the same pattern, as the referrals chapter),
  the services (their sum is the published total) and the services present in both
  periods (their sum is published too, so the services of one period only are
  covered by the same audit) — see :class:`PersonCounts`;
- a rate per month, a share, a mean age or a difference built on a person count is
  shown only when every count it rests on is shown (a difference of two published
  counts must not reveal a hidden one); its reading (« en hausse »…) is withheld with it;
- the first-line share is hidden when one of the first-line referrers is hidden in
  that period (it would be recovered by subtraction);
- given each period's users plan (:func:`analysis.publish.linked.users_plan`, see
  :func:`users_plans`), the referrer and gender lines and the first-line share of that period
  follow the plan: the cells hidden in the referrals chapter are the ones hidden here;
- activity, participation and service-month counts are not person counts and are shown.

Every reading (« en hausse », « en baisse », « stable », « trop peu de données
pour conclure ») comes from the interval (:func:`analysis.analyses.evolution.verdict_ratio`
and ``verdict_diff``), never from the point estimates alone.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import reference
from analysis.analyses.evolution import (
    AGE_MARGIN_YEARS,
    RATIO_MARGIN,
    SHARE_MARGIN_PTS,
    Edition,
    EvolutionResults,
    provenance,
)
from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR
from analysis.ingest.schema import can_be_missing
from analysis.publish.disclosure import SECONDARY, caption_note, hidden_text, protect_line
from analysis.publish.fmt import (
    MONTHS_FR,
    NBSP,
    few_services_fr,
    fmt_int,
    fmt_interval,
    fmt_month,
    fmt_number,
    fmt_pct,
    fmt_signed,
)
from analysis.publish.linked import LinkedPlan, users_plan, write_audit
from analysis.publish.sdc import Protection, Relation, is_primary, protect

VERDICT_FR = {"hausse": "en hausse", "baisse": "en baisse", "stable": "stable",
              "indetermine": "trop peu de données pour conclure"}
SOURCE = " Source : outils de suivi des projets PRR, éditions comparées (voir l'annexe de provenance)."
EXAMPLE_NOTE = " Données d'exemple synthétiques."
DASH = "–"


def verdict_fr(verdict: str | None) -> str:
    return VERDICT_FR.get(verdict or "", DASH)


def period_fr(ed: Edition) -> str:
    """« septembre 2021 – avril 2022 (8 mois) »."""
    return f"{fmt_month(ed.start)} – {fmt_month(ed.end)} ({ed.n_months}{NBSP}mois)"


def short_period(ed: Edition) -> str:
    """« sept. 2021 – avr. 2022 »."""
    return f"{fmt_month(ed.start, short=True)} – {fmt_month(ed.end, short=True)}"


def _date_fr(created: str | None) -> str:
    """``2026-12-04T13:00:00+00:00`` → « 4 décembre 2026 » (« date inconnue » without a date)."""
    from datetime import date

    try:
        d = date.fromisoformat((created or "")[:10])
    except ValueError:
        return "date inconnue"
    return f"{'1er' if d.day == 1 else d.day}{NBSP}{MONTHS_FR[d.month - 1]} {d.year}"


def _fin(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def ratio_text(r: dict) -> str:
    """``×0,92 (0,81 à 1,05)``, ``×0,00 (0 à 0,05)``, ``au moins ×3,20`` (nothing before) or ``–``."""
    if r.get("ratio") == math.inf:
        low = r.get("ratio_low")
        return f"au moins ×{fmt_number(low, 2)}" if _fin(low) else DASH
    if not _fin(r.get("ratio")):
        return DASH
    if not (_fin(r.get("ratio_low")) and _fin(r.get("ratio_high"))):
        return f"×{fmt_number(r['ratio'], 2)}"
    return f"×{fmt_number(r['ratio'], 2)} ({fmt_interval(r['ratio_low'], r['ratio_high'], 2)})"


def diff_text(r: dict, decimals: int = 1, unit: str = f"{NBSP}pt") -> str:
    """``+3,1 pt (−2,0 à 8,2)`` or ``–``."""
    d = r.get("diff") if r.get("kind") == "mean" else r.get("diff_pts")
    if not _fin(d):
        return DASH
    sign = "+" if d > 0 else ""
    text = f"{sign}{fmt_signed(d, decimals)}{unit}"
    if _fin(r.get("diff_low")) and _fin(r.get("diff_high")):
        text += f" ({fmt_interval(r['diff_low'], r['diff_high'], decimals)})"
    return text


# --------------------------------------------------------------------------- disclosure of person counts


class PersonCounts:
    """Which person counts of one comparison may be shown, period by period (LP-audited).

    Per period (each is published on its own):

    - referrer and gender lines: :func:`analysis.publish.disclosure.protect_line` on the
      same line as the referrals chapter of that period (every reference code, then
      « non renseigné » when some rows have none), so that both chapters hide the same cells;
    - new demands: :func:`analysis.publish.sdc.protect` on ``users.all`` (published, also in the
      other chapters), ``users.common`` (services present in both periods) and their difference, the
      services of one period only (printed nowhere); not per service (:data:`PER_SERVICE_NOTE`);
    - zero counts are primary cells (« < 5 » means 0 to 4), as everywhere in the report;
    - with ``plans`` (side → the users plan of that period, :func:`users_plans`): the referrer and
      gender lines and the first-line share of that side read the plan instead (the referrals
      chapter's decision, first and second line included).
    """

    def __init__(self, comp: pd.DataFrame, services: pd.DataFrame, threshold: int, ref_dir: Path = REFERENCE_DIR,
                 plans: dict[str, LinkedPlan] | None = None):
        plans = plans or {}
        self.t = threshold
        self.hidden: dict[tuple[str, str, str, str], bool] = {}  # (scope, measure, key, side) -> hidden
        self.primary: dict[tuple[str, str, str, str], bool] = {}
        rows = comp.set_index(["scope", "measure", "key"])
        for measure in ("referrer", "gender"):
            sub = comp[(comp["scope"] == "all") & (comp["measure"] == measure)]
            for side in ("before", "after"):
                counts = [int(v) for v in sub[f"k_{side}"]]
                total = int(rows.loc[("all", "users", "total"), f"count_{side}"])
                missing = total - sum(counts)
                listed = missing > 0 or (total > 0 and can_be_missing("users", measure))
                line = counts + ([missing] if listed else [])  # the referrals chapter's line
                primary, secondary = protect_line(line, threshold)
                for j, key in enumerate(sub["key"]):
                    if side in plans:  # the referrals chapter's decision for this period
                        self.hidden[("all", measure, key, side)] = plans[side].hidden(f"users.{measure}.{key}")
                        self.primary[("all", measure, key, side)] = plans[side].primary(f"users.{measure}.{key}")
                        continue
                    self.hidden[("all", measure, key, side)] = bool(primary[j] or secondary[j])
                    self.primary[("all", measure, key, side)] = bool(primary[j])
        refs = reference.table("referrers", ref_dir)
        first = refs.loc[refs["first_line"].fillna(False).astype(bool), "code"].tolist()
        self.protections: dict[str, Protection] = {}
        for side in ("before", "after"):
            # new demands are not given per service (:data:`PER_SERVICE_NOTE`): the two totals (all services,
            # services of both editions) and their difference, the services of one edition only, printed
            # nowhere (an unprinted cell of the audit)
            values = {"users.all": int(rows.loc[("all", "users", "total"), f"count_{side}"]),
                      "users.common": int(rows.loc[("common", "users", "total"), f"count_{side}"])}
            rels, unprinted = [], []
            if values["users.all"] >= values["users.common"]:
                values["users.rest"] = values["users.all"] - values["users.common"]
                unprinted.append("users.rest")
                rels.append(Relation("users.all", ("users.common", "users.rest")))
            if values["users.all"] < threshold:  # nothing of a population below the threshold is published
                p = protect(values, rels, threshold, optional=list(values), unprinted=unprinted)
            else:
                p = protect(values, rels, threshold, fixed=["users.all"], unprinted=unprinted)
            self.protections[side] = p
            for scope in ("all", "common"):
                cell = f"users.{scope}"
                self.hidden[(scope, "users", "total", side)] = p.is_hidden(cell)
                self.primary[(scope, "users", "total", side)] = cell in p.primary
            # a rule, not a value: the services of both editions' new demands are withheld whenever a service
            # is in this edition only (fifth review: « n.p. » only when the rest was small told a reader that
            # it was, and « N services ont encodé » then ruled 0 out); their share and mean age with them
            other = "after" if side == "before" else "before"
            if (services[f"in_{side}"].astype(bool) & ~services[f"in_{other}"].astype(bool)).any():
                self.hidden[("common", "users", "total", side)] = True
            fl_hidden = any(self.hidden.get(("all", "referrer", c, side), False) for c in first)
            if side in plans:  # first line, other known referrers, known referrers (the share's counts)
                fl_hidden = fl_hidden or any(plans[side].hidden(c) for c in
                                             ("users.first_line", "users.second_line", "users.referrer_known"))
            for scope in ("all", "common"):
                k = rows.loc[(scope, "first_line", "first_line"), f"k_{side}"]
                n = rows.loc[(scope, "first_line", "first_line"), f"n_{side}"]
                h = (is_primary(k, threshold) or is_primary(n - k, threshold) or fl_hidden
                     or self.hidden[(scope, "users", "total", side)])
                if scope == "common":
                    k_all = rows.loc[("all", "first_line", "first_line"), f"k_{side}"]
                    h = h or is_primary(k_all - k, threshold)
                self.hidden[(scope, "first_line", "first_line", side)] = bool(h)
            for scope in ("all", "common"):  # a mean age rests on the new demands' count: withheld with it
                self.hidden[(scope, "age_mean", "age_mean", side)] = self.hidden[(scope, "users", "total", side)]

    def is_hidden(self, scope: str, measure: str, key: str, side: str) -> bool:
        return self.hidden.get((scope, measure, key, side), False)

    def any_hidden(self, scope: str, measure: str, key: str) -> bool:
        return self.is_hidden(scope, measure, key, "before") or self.is_hidden(scope, measure, key, "after")

    def cell(self, value, scope, measure, key, side) -> str:
        """A person count as shown: the number, ``< 5`` or ``n.p.``."""
        if not self.is_hidden(scope, measure, key, side):
            return fmt_int(value)
        return hidden_text(self.t) if self.primary.get((scope, measure, key, side)) else SECONDARY



# --------------------------------------------------------------------------- tables


def _rate(v: float) -> str:
    return DASH if not _fin(v) else fmt_number(v, 1)


def activities_table(comp: pd.DataFrame, types: bool = False) -> pd.DataFrame:
    """Activities and participations per month, before and now, with the ratio and its reading.

    ``types=False``: total and axes, both scopes; ``types=True``: each activity type, all services.
    """
    if types:
        sel = comp[(comp["scope"] == "all") & comp["key"].str.startswith("type.")
                   & comp["measure"].isin(["activities", "participations"])]
    else:
        sel = comp[comp["measure"].isin(["activities", "participations"]) & ~comp["key"].str.startswith("type.")]
    out = []
    for r in sel.to_dict("records"):
        row = {}
        if not types:
            row["Services"] = "tous" if r["scope"] == "all" else "présents aux deux éditions"
        row["Mesure"] = (("Activités" if r["measure"] == "activities" else "Participations") + " – "
                         + r["label"].replace("Axe ", f"Axe{NBSP}"))
        row["Avant (par mois)"] = _rate(r["rate_before"])
        row["Maintenant (par mois)"] = _rate(r["rate_after"])
        row["Rapport (IC 95 %)"] = ratio_text(r)
        row["Lecture"] = verdict_fr(r["verdict"])
        out.append(row)
    return pd.DataFrame(out)


def _share_cells(r: dict, pc: PersonCounts, side: str) -> str:
    if pc.is_hidden(r["scope"], r["measure"], r["key"], side) or not _fin(r[f"pct_{side}"]):
        return DASH
    return fmt_pct(r[f"pct_{side}"], 1)


def demands_table(comp: pd.DataFrame, pc: PersonCounts) -> pd.DataFrame:
    """New user demands: per month, first-line share, mean age (both scopes), referrers and genders (all)."""
    out = []
    for scope in ("all", "common"):
        services = "tous" if scope == "all" else "présents aux deux éditions"
        c = comp[comp["scope"] == scope]
        r = c[c["measure"] == "users"].iloc[0].to_dict()
        shown = shown_users = not pc.any_hidden(scope, "users", "total")
        out.append({
            "Services": services, "Mesure": "Nouvelles demandes par mois (nombre sur la période)",
            "Avant": (f"{_rate(r['rate_before'])} ({pc.cell(r['count_before'], scope, 'users', 'total', 'before')})"
                      if not pc.is_hidden(scope, "users", "total", "before")
                      else pc.cell(r["count_before"], scope, "users", "total", "before")),
            "Maintenant": (f"{_rate(r['rate_after'])} ({pc.cell(r['count_after'], scope, 'users', 'total', 'after')})"
                           if not pc.is_hidden(scope, "users", "total", "after")
                           else pc.cell(r["count_after"], scope, "users", "total", "after")),
            "Évolution (IC 95 %)": ratio_text(r) if shown else DASH,
            "Lecture": verdict_fr(r["verdict"]) if shown else "non publiée (secret statistique)",
        })
        r = c[c["measure"] == "first_line"].iloc[0].to_dict()
        shown = not pc.any_hidden(scope, "first_line", "first_line")
        out.append({"Services": services, "Mesure": "Part de première ligne (personne ou entourage)",
                    "Avant": _share_cells(r, pc, "before"), "Maintenant": _share_cells(r, pc, "after"),
                    "Évolution (IC 95 %)": diff_text(r) if shown else DASH,
                    "Lecture": verdict_fr(r["verdict"]) if shown else "non publiée (secret statistique)"})
        # a mean age rests on the new demands' count: withheld with it
        r = c[c["measure"] == "age_mean"].iloc[0].to_dict()

        def age(side, r=r, scope=scope):
            if pc.is_hidden(scope, "users", "total", side) or not _fin(r[f"mean_{side}"]):
                return DASH
            return f"{fmt_number(r[f'mean_{side}'], 1)} ans"

        out.append({"Services": services, "Mesure": "Âge moyen au premier contact",
                    "Avant": age("before"), "Maintenant": age("after"),
                    "Évolution (IC 95 %)": (diff_text(r, 1, f"{NBSP}an" if abs(r["diff"]) < 2 else f"{NBSP}ans")
                                            if shown_users and _fin(r["diff"]) else DASH),
                    "Lecture": verdict_fr(r["verdict"]) if shown_users else "non publiée (secret statistique)"})
    c = comp[comp["scope"] == "all"]
    for measure, head in (("gender", "Genre"), ("referrer", "Envoyeur")):
        for r in c[c["measure"] == measure].to_dict("records"):
            if r["k_before"] == 0 and r["k_after"] == 0:
                continue
            shown = not pc.any_hidden("all", measure, r["key"])
            out.append({"Services": "tous", "Mesure": f"{head} : {r['label']}",
                        "Avant": _share_cells(r, pc, "before"), "Maintenant": _share_cells(r, pc, "after"),
                        "Évolution (IC 95 %)": diff_text(r) if shown else DASH,
                        "Lecture": verdict_fr(r["verdict"]) if shown else "non publiée (secret statistique)"})
    return pd.DataFrame(out)


def participation_table(comp: pd.DataFrame) -> pd.DataFrame:
    """Services' participation rate (service × months with activities), before and now."""
    out = []
    for r in comp[comp["measure"] == "participation"].to_dict("records"):
        def side(s, r=r):
            if not r[f"n_{s}"]:
                return DASH
            return f"{fmt_pct(r[f'pct_{s}'], 1)} ({fmt_int(r[f'k_{s}'])} / {fmt_int(r[f'n_{s}'])})"
        out.append({"Services": "tous" if r["scope"] == "all" else "présents aux deux éditions",
                    "Avant": side("before"), "Maintenant": side("after"),
                    "Évolution (IC 95 %)": diff_text(r), "Lecture": verdict_fr(r["verdict"])})
    return pd.DataFrame(out)


#: Why the services of both editions' new demands are withheld (caption of the demands table).
COMMON_RULE_NOTE = (" Nouvelles demandes des services présents aux deux éditions : « n.p. » dès qu'un service "
                    "n'est présent qu'à une édition, quelle que soit la valeur (leur différence avec le total "
                    "donnerait les demandes de ces services).")
#: Why the per-service table gives no new demands (caption). Each edition prints, for the shares of its
#: new demands, intervals that take the grouping by service into account, and the Évolution chapter a rate
#: ratio clustered by service; with only a few services, those intervals give back the number of new
#: demands of each service (third and fourth intruder reviews), which would pin the « n.p. » cells of a
#: per-service column of either edition.
PER_SERVICE_NOTE = (" Les nouvelles demandes ne sont pas détaillées par service : avec peu de services, les "
                    "intervalles de confiance qui tiennent compte du regroupement par service laissent deviner "
                    "la taille de chaque service, et une colonne par service permettrait alors de retrouver de "
                    "petits effectifs.")


def services_table(svc: pd.DataFrame, pc: PersonCounts) -> pd.DataFrame:
    """Per service: presence, activities per month and their ratio, months with activities (no new demands:
    :data:`PER_SERVICE_NOTE`)."""
    out = []
    for r in svc.to_dict("records"):
        def months(side, r=r):
            v = r[f"months_returned_{side}"]
            return "absent" if v is None or (isinstance(v, float) and math.isnan(v)) else \
                f"{fmt_int(v)} / {fmt_int(r[f'months_{side}'])}"
        both = r["in_before"] and r["in_after"]
        out.append({
            "Service": r["name"],
            "Activités par mois avant": _rate(r["rate_before"]) if r["in_before"] else "absent",
            "Activités par mois maintenant": _rate(r["rate_after"]) if r["in_after"] else "absent",
            "Rapport (IC 95 %)": ratio_text(r) if both else DASH,
            "Lecture": verdict_fr(r["verdict"]) if both else "présent à une seule édition",
            "Mois avec activités avant": months("before"), "Mois avec activités maintenant": months("after"),
        })
    return pd.DataFrame(out)


def editions_table(res: EvolutionResults) -> pd.DataFrame:
    """The compared editions: period, months, services, activities."""
    rows = []
    for ed in [*res.earlier, res.current]:
        prov = provenance(ed)
        rows.append({"Édition": "cette édition" if ed is res.current else "antérieure",
                     "Période": period_fr(ed), "Services": fmt_int(len(ed.services)),
                     "Activités": fmt_int(len(ed.activities)),
                     "Données reçues": prov["raw"] or DASH})
    return pd.DataFrame(rows)


def provenance_table(res: EvolutionResults) -> pd.DataFrame:
    """Annex: which run each compared figure comes from (read in its manifest), said for a reader:
    the edition's reference (its run folder's name, no path), the data received, the code version and date.

    Five columns, short periods: a long reference (``retours-2023_2023-01_2023-06``) needs the room
    (the PDF breaks it after an underscore, see ``report/assets/typst/prr-book.typ``)."""
    rows = []
    for ed in [*res.earlier, res.current]:
        p = provenance(ed)
        current = ed is res.current
        data = (p["raw"] or "inconnues") + (" (exemple synthétique)" if p["is_example"] and not current else "")
        data += " ; fichiers de ce rapport" if current else f" ; {fmt_int(p['inputs_n'])}{NBSP}fichiers"
        if current:  # this edition's own manifest is written after its notebooks: see the annex above
            computed = "avec ce rapport"
        else:
            commit = f"version `{p['commit'][:12]}`" if p["commit"] else "version inconnue"
            if p["commit_dirty"]:
                commit += " (modifications non validées)"
            computed = f"{commit}, le {_date_fr(p['created'])}"
        rows.append({"Édition": "cette édition" if current else "antérieure",
                     "Période": f"{short_period(ed)} ({ed.n_months}{NBSP}mois)", "Référence": p["run"],
                     "Données reçues": data, "Calculée": computed})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- sentences


def ratio_sentence(r: dict, what: str, unit: str) -> str:
    """« Sur tous les services, les activités par mois sont en baisse : 22,7 par mois contre 427,4 (rapport …). »"""
    scope = "Sur l'ensemble des services" if r["scope"] == "all" else "Sur les services présents aux deux éditions"
    v = r["verdict"]
    head = f"{scope}, {what} par mois : {verdict_fr(v)}"
    if not (_fin(r["rate_before"]) and _fin(r["rate_after"])):
        return head + "."
    text = (f"{head} ({_rate(r['rate_after'])} {unit} par mois maintenant contre {_rate(r['rate_before'])} avant")
    if _fin(r["ratio"]) and _fin(r["ratio_low"]) and r["ratio"] != math.inf:
        text += (f" ; rapport {fmt_number(r['ratio'], 2)}, intervalle de confiance à 95 % "
                 f"de {fmt_interval(r['ratio_low'], r['ratio_high'], 2)}")
    return text + ")."


def share_sentence(r: dict, what: str, pc: PersonCounts) -> str:
    scope = "sur l'ensemble des services" if r["scope"] == "all" else "sur les services présents aux deux éditions"
    if pc.any_hidden(r["scope"], r["measure"], r["key"]):
        return f"La comparaison de {what} {scope} n'est pas publiée : un des effectifs est inférieur au seuil ou masqué."
    if not (_fin(r["pct_before"]) and _fin(r["pct_after"])):
        return f"{what[0].upper()}{what[1:]} ne peut pas être comparée {scope} : trop peu de données pour conclure."
    return (f"{what[0].upper()}{what[1:]}, {scope}, passe de {fmt_pct(r['pct_before'], 1)} à "
            f"{fmt_pct(r['pct_after'], 1)}, soit {diff_text(r)} : {verdict_fr(r['verdict'])}.")


def summary_sentences(comp: pd.DataFrame, pc: PersonCounts) -> list[str]:
    """The chapter's key readings, each from its interval."""
    rec = {(r["scope"], r["measure"], r["key"]): r for r in comp.to_dict("records")}
    out = []
    for scope in ("all", "common"):
        out.append(ratio_sentence(rec[(scope, "activities", "total")], "le nombre d'activités", "activités"))
        out.append(ratio_sentence(rec[(scope, "participations", "total")], "le nombre de participations",
                                  "participations"))
        u = rec[(scope, "users", "total")]
        if pc.any_hidden(scope, "users", "total"):
            out.append(("Sur l'ensemble des services" if scope == "all" else
                        "Sur les services présents aux deux éditions")
                       + ", la comparaison des nouvelles demandes d'usager·e·s n'est pas publiée (secret statistique).")
        else:
            out.append(ratio_sentence(u, "les nouvelles demandes d'usager·e·s", "demandes"))
    out.append(share_sentence(rec[("all", "first_line", "first_line")], "la part des demandes de première ligne", pc))
    p = rec[("all", "participation", "rate")]
    if _fin(p["pct_before"]) and _fin(p["pct_after"]):
        out.append(f"Le taux de participation des services passe de {fmt_pct(p['pct_before'], 1)} à "
                   f"{fmt_pct(p['pct_after'], 1)} des mois × services, soit {diff_text(p)} : "
                   f"{verdict_fr(p['verdict'])}.")
    else:
        out.append("Le taux de participation des services ne peut pas être comparé : trop peu de données pour "
                   "conclure (le registre d'une des éditions ne liste aucun service financé).")
    return out


# --------------------------------------------------------------------------- figure


def plot_series(res: EvolutionResults, ref_dir: Path = REFERENCE_DIR):
    """Activities per calendar month, one panel per axis, one line per edition; months between
    editions are gaps (no line crosses them), each edition's months shaded."""
    import matplotlib.pyplot as plt

    from analysis.publish.figures import OKABE_ITO

    eds = [*res.earlier, res.current]
    axes_ref = reference.table("axes", ref_dir).sort_values("order")
    first = min(e.start for e in eds)
    last = max(e.end for e in eds)
    calendar = [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]
    pos = {m: i for i, m in enumerate(calendar)}
    fig, axs = plt.subplots(len(axes_ref), 1, figsize=(8, 2.0 * len(axes_ref) + 1), sharex=True)
    axs = np.atleast_1d(axs)
    s = res.series
    for ax, a in zip(axs, axes_ref.itertuples(index=False), strict=True):
        for i, ed in enumerate(eds):
            sub = s[(s["edition"] == i) & (s["axis"] == a.code)]
            y = np.full(len(calendar), np.nan)
            for m, n in zip(sub["month"], sub["n"], strict=True):
                y[pos[m]] = n
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            label = short_period(ed) + (" (cette édition)" if ed is res.current else "")
            ax.plot(np.arange(len(calendar)), y, marker="o", markersize=3, color=colour, label=label)
            ax.axvspan(pos[ed.months[0]] - 0.4, pos[ed.months[-1]] + 0.4, color=colour, alpha=0.07, linewidth=0)
        ax.set_title(a.short_fr, loc="left", fontsize=10)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("Activités")
    # horizontal labels, at most 8, on two lines (month, year): rotated labels ran into each other
    step = max(1, math.ceil(len(calendar) / 8))
    ticks = list(range(0, len(calendar), step))
    axs[-1].set_xticks(ticks, [fmt_month(calendar[i], short=True).replace(" ", "\n", 1) for i in ticks],
                       fontsize=8)
    axs[0].legend(frameon=True, fontsize=8, loc="upper right")
    fig.tight_layout()
    gaps = sum(1 for m in calendar if not any(m in e.months for e in eds))
    alt = (f"Courbes du nombre d'activités par mois, un panneau par axe, une courbe par édition "
           f"({', '.join(short_period(e) for e in eds)}).")
    alt += (f" Les {gaps} mois entre les éditions n'ont pas de données : les courbes s'y interrompent."
            if gaps else " Les périodes se touchent ou se recouvrent.")
    return fig, alt


# --------------------------------------------------------------------------- the chapter body


def _include_table(name: str) -> str:
    return f"{{{{< include /_generated/tables/{name}.md >}}}}\n"


def _include_figure(name: str) -> str:
    return f"{{{{< include /_generated/figures/{name}.md >}}}}\n"


NO_EDITION = ("Cette édition n'est comparée à aucune édition antérieure : le rapport a été produit sans les "
              "données d'une édition précédente. Quand elles sont fournies, ce chapitre compare les activités, "
              "les participations et les nouvelles demandes de cette période à celles des éditions "
              "précédentes, mois par mois.\n")
#: The provenance annex's section on compared editions: without any, one paragraph and no heading
#: (a heading followed by a single line would be left alone at the bottom of a page).
NO_EDITION_PROVENANCE = ("Cette édition n'est comparée à aucune édition antérieure : aucun chiffre du rapport ne "
                         "vient d'une autre édition.\n")


def method_text() -> str:
    lo, hi = RATIO_MARGIN
    return (
        "Les périodes n'ont pas la même durée : les nombres sont donc comparés **par mois**. Les services "
        "financés changent d'une édition à l'autre : chaque comparaison est faite deux fois, sur tous les "
        "services de chaque période et sur les seuls services présents aux deux éditions. Chaque écart est "
        "accompagné de son intervalle de confiance à 95 % : pour les activités et les participations, le "
        "rapport de deux taux mensuels (modèle de Poisson dont la variance est élargie par la variation d'un "
        "mois à l'autre) ; pour les nouvelles demandes, le même rapport en tenant compte de ce que les "
        "personnes sont regroupées dans des services ; pour les parts, l'intervalle de Newcombe, élargi de la "
        "même façon (effet de grappe des services). Quand les personnes (ou les mois de participation) se "
        f"répartissent entre {few_services_fr()}, l'écart est donné sans intervalle et ne se lit pas "
        "(« trop peu de données pour conclure »). La lecture vient de l'intervalle, pas du seul chiffre : "
        "« en hausse » ou « en baisse » quand tout l'intervalle est d'un côté de l'absence de changement, "
        f"« stable » quand tout l'intervalle reste dans une marge étroite (rapport entre {fmt_number(lo, 2)} et "
        f"{fmt_number(hi, 2)}, écart de part de ±{NBSP}{fmt_number(SHARE_MARGIN_PTS, 0)} points, écart d'âge de "
        f"±{NBSP}{fmt_number(AGE_MARGIN_YEARS, 0)} ans), « trop peu de données pour conclure » sinon.\n")


#: What a code of each domain of ``code_changes.csv`` names, for a reader.
DOMAIN_FR = {"services": "le service", "activity_types": "le type d'activité", "referrers": "l'envoyeur",
             "genders": "le genre", "income_sources": "la source de revenus"}


def _code_name(domain: str, code: str, names: dict[str, str], ref_dir: Path) -> str:
    """« SSM Le Grès » for a service (its name in the edition's registry), the French label of another
    code (today's reference tables), else the code itself."""
    if domain == "services":
        return names.get(code, code)
    try:
        return reference.labels(domain, ref_dir).get(code, code)
    except (OSError, KeyError):
        return code


def codes_text(res: EvolutionResults, ref_dir: Path = REFERENCE_DIR) -> str:
    """What the table of code changes did, in reader words: which service or category of which edition
    is counted under which one of this edition (no row counts: a service's rows of new demands are a
    person count)."""
    if res.mapped.empty:
        n = len(res.changes)
        extra = (f" La table de correspondance des codes ({fmt_int(n)} changement(s) listé(s)) n'a touché "
                 "aucune ligne de ces éditions.") if n else ""
        return ("Les codes (services, types d'activité, envoyeurs, genres) sont ceux des tables de référence "
                "actuelles ; aucun code n'a changé entre ces éditions." + extra + "\n")
    eds = [*res.earlier, res.current]
    notes = {(c.domain, c.old_code, c.new_code): c.note for c in res.changes.itertuples(index=False)}
    items = []
    seen = set()
    for r in res.mapped.sort_values(["edition", "domain", "old_code"]).itertuples(index=False):
        key = (r.domain, r.old_code, r.new_code, r.edition)
        if key in seen:
            continue
        seen.add(key)
        ed = eds[int(r.edition)]
        which = "de cette édition" if ed is res.current else f"de l'édition {short_period(ed)}"
        what = DOMAIN_FR.get(r.domain, r.domain)
        what = what[0].upper() + what[1:]
        old = _code_name(r.domain, r.old_code, ed.names, ref_dir)
        new = _code_name(r.domain, r.new_code, res.current.names, ref_dir)
        note = notes.get((r.domain, r.old_code, r.new_code)) or ""
        items.append(f"- {what} « {old} » {which} est compté avec « {new} »"
                     + (f" ({note.rstrip('.')})" if note else "") + ".\n")
    return ("Des services ou des catégories ont changé de code entre les éditions. Avant toute comparaison, "
            "les anciens codes sont remplacés par ceux de cette édition, d'après la table de correspondance "
            "des codes (tables de référence et registre des services de la période) ; les comparaisons, y "
            "compris celles des services présents aux deux éditions, portent donc sur les catégories "
            "d'aujourd'hui :\n\n" + "".join(items))


def users_plans(res: EvolutionResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                current: LinkedPlan | None = None) -> list[dict[str, LinkedPlan]]:
    """Per comparison, side → the users plan of that period (:func:`analysis.publish.linked.users_plan`):
    ``current`` (the referrals chapter's plan of this edition, computed from the same clean rows) for
    « maintenant », each earlier edition's rows (codes of today) for « avant »."""
    cur = current if current is not None else users_plan(res.current.users, res.current.start, res.current.end,
                                                         threshold)
    return [{"before": users_plan(ed.users, ed.start, ed.end, threshold), "after": cur} for ed in res.earlier]


def chapter_markdown(res: EvolutionResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     ref_dir: Path = REFERENCE_DIR, plans: list[dict[str, LinkedPlan]] | None = None
                     ) -> tuple[str, dict[str, PersonCounts]]:
    """The chapter body (tables and figure included by name) and the disclosure state per comparison
    (``plans``: :func:`users_plans`, else each line protected on its own)."""
    if not res.compared:
        return NO_EDITION, {}
    parts = ["## Éditions comparées {#sec-evolution-editions}\n",
             f"Cette édition, {period_fr(res.current)}, est comparée à "
             + (f"l'édition {period_fr(res.earlier[0])}." if len(res.earlier) == 1 else
                f"{len(res.earlier)} éditions antérieures : "
                + ", ".join(period_fr(e) for e in res.earlier) + ".")
             + " Le @tbl-evolution-editions les décrit ; l'annexe de provenance indique de quelle édition, "
             "calculée quand, vient chaque chiffre antérieur (@tbl-evolution-provenance).\n",
             _include_table("evolution-editions"), method_text(), codes_text(res, ref_dir)]
    overlaps = [e for e in res.earlier if not (e.end < res.current.start or e.start > res.current.end)]
    if overlaps:
        parts.append("Attention : des périodes comparées se recouvrent ; leurs écarts ne décrivent pas une "
                     "évolution dans le temps.\n")
    parts += ["## Activités par mois, d'une édition à l'autre {#sec-evolution-mois}\n",
              "La @fig-evolution-mois suit le nombre d'activités de chaque axe, mois par mois, sur toutes les "
              "éditions ; entre deux éditions, les mois sans données restent vides.\n",
              _include_figure("evolution-mois")]
    pcs = {}
    for i, (ed, comp, svc) in enumerate(zip(res.earlier, res.comparisons, res.services, strict=True), start=1):
        pc = PersonCounts(comp, svc, threshold, ref_dir, plans[i - 1] if plans else None)
        pcs[str(i)] = pc
        common = comp.attrs.get("common_services", [])
        names = {**ed.names, **res.current.names}
        title = f"Par rapport à {short_period(ed)}"
        parts.append(f"## {title} {{#sec-evolution-{i}}}\n")
        parts.append(
            ("Aucun service n'est présent aux deux éditions" if not common else
             "1 service est présent aux deux éditions" if len(common) == 1 else
             f"{fmt_int(len(common))} services sont présents aux deux éditions")
            + (f" ({', '.join(names.get(c, c) for c in common)})" if common else "") + ". "
            + "En résumé :\n\n" + "".join(f"- {t}\n" for t in summary_sentences(comp, pc)))
        parts.append(f"Le @tbl-evolution-activites-{i} compare les activités et les participations par axe, le "
                     f"@tbl-evolution-types-{i} par type d'activité.\n")
        parts += [_include_table(f"evolution-activites-{i}"), _include_table(f"evolution-types-{i}")]
        parts.append(f"Le @tbl-evolution-demandes-{i} compare les nouvelles demandes d'usager·e·s : leur nombre "
                     "par mois, leurs envoyeurs, la part de première ligne, l'âge et le genre.\n")
        parts.append(_include_table(f"evolution-demandes-{i}"))
        parts.append(f"Le @tbl-evolution-participation-{i} compare le taux de participation des services (part des "
                     f"mois × services où des activités ont été encodées) et le @tbl-evolution-services-{i} "
                     "détaille chaque service.\n")
        parts += [_include_table(f"evolution-participation-{i}"), _include_table(f"evolution-services-{i}")]
    return "\n".join(parts), pcs


def withheld_metrics(res: EvolutionResults, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                     ref_dir: Path = REFERENCE_DIR, plans: list[dict[str, LinkedPlan]] | None = None) -> set[str]:
    """Metric keys the prose may not show: the reading of every comparison resting on a hidden person
    count (the values themselves are never in the metrics, see ``evolution_metrics``)."""
    out: set[str] = set()
    for i, (comp, svc) in enumerate(zip(res.comparisons, res.services, strict=True), start=1):
        pc = PersonCounts(comp, svc, threshold, ref_dir, plans[i - 1] if plans else None)
        for r in comp[comp["person"].astype(bool)].to_dict("records"):
            if pc.any_hidden(r["scope"], r["measure"], r["key"]):
                out.add(f"evolution.editions.{i}.{r['scope']}.{r['measure']}.{r['key']}.verdict")
    return out


def save_no_edition(out: Path) -> dict[str, list[str]]:
    """Without ``--compare``: the chapter says there is no earlier edition; stale outputs are removed."""
    from analysis.config import run_paths

    paths = run_paths(out)
    paths["tables"].mkdir(parents=True, exist_ok=True)
    for folder in (paths["tables"], paths["figures"], Path(out) / "exact"):
        for old in folder.glob("evolution-*") if folder.is_dir() else []:
            old.unlink()
    (paths["tables"] / "evolution.md").write_text(NO_EDITION, encoding="utf-8")
    (paths["tables"] / "evolution-provenance.md").write_text(NO_EDITION_PROVENANCE, encoding="utf-8")
    return {"figures": [], "tables": []}


def save_outputs(res: EvolutionResults, out: Path, threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                 is_example: bool = False, ref_dir: Path = REFERENCE_DIR,
                 plans: list[dict[str, LinkedPlan]] | None = None) -> dict[str, list[str]]:
    """Write the chapter body (``tables/evolution.md``), its tables and figure, and the provenance
    document (``tables/evolution-provenance.md``) under the run folder ``out``."""
    from analysis.config import run_paths
    from analysis.publish.figures import save_figure
    from analysis.publish.tables import markdown_table, write_exact, write_table

    paths = run_paths(out)
    save_no_edition(out)  # also clears the outputs of an earlier comparison
    if not res.compared:
        return {"figures": [], "tables": []}
    body, pcs = chapter_markdown(res, threshold, ref_dir, plans)
    (paths["tables"] / "evolution.md").write_text(body, encoding="utf-8")
    note = EXAMPLE_NOTE if is_example else ""
    disc = " " + caption_note(threshold)
    figs, tables = [], []
    fig, alt = plot_series(res, ref_dir)
    save_figure(fig, "evolution-mois", paths["figures"], alt,
                "Nombre d'activités par mois et par axe, pour chaque édition comparée ; les mois entre deux "
                "éditions n'ont pas de données." + SOURCE + note)
    figs.append("evolution-mois")
    write_table(editions_table(res), "evolution-editions", paths["tables"],
                "Éditions comparées : période, services et activités." + SOURCE + note)
    tables.append("evolution-editions")
    for i, (ed, comp, svc) in enumerate(zip(res.earlier, res.comparisons, res.services, strict=True), start=1):
        pc = pcs[str(i)]
        period = f" {short_period(ed)} (avant) et {short_period(res.current)} (maintenant)."
        specs = [
            (f"evolution-activites-{i}", activities_table(comp), [14, 26, 11, 11, 20, 18],
             "Activités et participations par mois, par axe, sur tous les services et sur les services présents "
             "aux deux éditions ; rapport maintenant / avant et son intervalle de confiance à 95 %," + period),
            (f"evolution-types-{i}", activities_table(comp, types=True), [36, 12, 12, 20, 20],
             "Activités et participations par mois et par type d'activité (tous les services)," + period),
            (f"evolution-demandes-{i}", demands_table(comp, pc), [13, 27, 12, 12, 18, 18],
             "Nouvelles demandes d'usager·e·s : nombre par mois, part de première ligne, âge moyen, genre et "
             "envoyeurs ; écart (points ou années) et son intervalle de confiance à 95 % (aucun pour une population "
             f"de {few_services_fr()})," + period + disc
             + COMMON_RULE_NOTE),
            (f"evolution-participation-{i}", participation_table(comp), [18, 18, 18, 24, 22],
             "Taux de participation des services (mois × services avec des activités encodées) ; écart en "
             f"points et intervalle de Newcombe à 95 % (aucun pour {few_services_fr()})," + period),
            (f"evolution-services-{i}", services_table(svc, pc), [24, 12, 12, 15, 13, 12, 12],
             "Par service : activités par mois et mois avec activités encodées," + period + PER_SERVICE_NOTE),
        ]
        for name, disp, widths, caption in specs:  # widths: print only (the name column needs the room)
            write_table(disp, name, paths["tables"], caption + SOURCE + note, widths)
            tables.append(name)
        write_exact(comp, f"evolution-{i}", out)
        write_exact(svc, f"evolution-services-{i}", out)
        for side, protection in pc.protections.items():  # the audit of each period's linked cells (internal)
            write_audit(LinkedPlan(protection), out, f"evolution-{i}-{side}")
    prov = provenance_table(res)
    (paths["tables"] / "evolution-provenance.md").write_text(
        "## Éditions comparées {#sec-annexe-provenance-evolution}\n\n"
        "Les chiffres des éditions antérieures du chapitre « Évolution » sont recalculés à partir des données "
        "nettoyées de chaque édition. Le @tbl-evolution-provenance indique, pour chaque édition, sa période, "
        "sa référence, les données reçues, la version du code qui l'a calculée et la date du calcul.\n\n"
        + markdown_table(prov, "Éditions comparées : d'où viennent les chiffres", "evolution-provenance",
                         [13, 22, 22, 22, 21]),
        encoding="utf-8")
    return {"figures": figs, "tables": tables}
