"""Render clean truth rows as the messy cells real services type.

Every function here turns clean values into raw cells the cleaning reads back
to the *same* clean value (see :mod:`analysis.ingest.normalise`): a date becomes a date
cell, an Excel serial, ``04/10/2021``, ``04-10-21``, ``2021-10-04``, ``4 octobre
2021`` or, for the first of a month only, ``oct. 2021``; a duration of 90 min
becomes ``90``, ``1h30``, ``01:30``, a time cell or ``1,5`` (bare numbers below
10 are hours); a commune a Dutch name, a postal code or a known misspelling;
a code one of the labels people write. Rows that the cleaning must set aside
(out-of-period or impossible dates, negative or absurd counts, unknown types,
copied rows, total rows) are *added* to the truth rows, never substituted.

The cells are plain Python values: ``str``, ``int``, ``float``,
``datetime.date``, ``datetime.time`` or ``None`` (empty). Writers decide how
each is stored (:mod:`analysis.example.files`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import reference
from analysis.ingest import rawformat

Cell = object

FRENCH_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                 "octobre", "novembre", "décembre")
FRENCH_MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                       "nov.", "déc.")
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

#: Date renderings and the ones that are valid only on the first day of a month.
DATE_STYLES = ("cell", "serial", "dmy", "dmy2", "iso", "text", "month")
MONTH_ONLY_STYLES = ("month",)

# --------------------------------------------------------------------------- vocabularies

#: Alternative spellings per domain and code (the reference French label is the usual one).
VARIANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "activity_types": {
        "suivi_accompagnement": ("Suivi", "suivi individuel", "Accompagnement", "Suivi/accompagnement",
                                 "Suivi / acompagnement", "entretien individuel"),
        "prevention_rdr": ("Réduction des risques", "Maraude", "Prévention RDR", "travail de rue"),
        "communautaire_collectif": ("Activité communautaire", "Atelier", "Activités collectives",
                                    "accueil communautaire", "Activité communautaire/collective", "atelier collectif"),
        "immersion": ("Immersions", "Stage d'immersion"),
        "formation": ("Formations", "Formation donnée"),
        "supervision": ("Supervisions", "supervison"),
        "intervision": ("Intervisions", "intervison"),
        "groupe_parole": ("Groupe de paroles", "Groupes de parole"),
        "permanence_elaboration": ("Permanence d'écoute (élaboration)", "Permanence élaboration",
                                   "Permanence d'écoute - élaboration"),
        "permanence_orientation": ("Permanence d'écoute (orientation)", "Permanence orientation"),
        "permanence_intervention": ("Permanence d'écoute (intervention)", "Permanence intervention"),
        "temps_reseau": ("Temps reseau", "Réunion de réseau", "travail en réseau", "Concertation", "Réseau"),
        "recherche": ("Recherche action", "Recherches"),
        "participation_formation": ("Formation reçue", "Participation à une formation",
                                    "Participation à une supervision", "participation formation"),
        "divers": ("Autre", "Divers/autre", "divers"),
    },
    "places": {
        "service": ("Au service", "au sein du service", "sur place", "Au sein de l'institution"),
        "exterieur": ("Extérieur", "A l'exterieur", "à domicile", "en rue", "externe"),
        "en_ligne": ("Visio", "en ligne", "téléphone", "à distance"),
    },
    "genders": {"F": ("femme", "Femme", "F ", "féminin"), "H": ("homme", "Homme", "M", "masculin"),
                "X": ("autre", "X", "non binaire")},
    "income_sources": {
        "travail": ("emploi", "Salarié", "travail"), "chomage": ("Chômage", "chomage", "ONEM"),
        "cpas_ris": ("CPAS", "RIS", "CPAS/RIS", "revenu d'intégration"),
        "mutuelle": ("Mutuelle", "mutuelle (invalidité)", "invalidité", "incapacité de travail"),
        "pension": ("pension", "retraite"), "allocation_handicap": ("allocation handicap", "AVIG"),
        "sans_revenu": ("aucun revenu", "sans ressources", "Sans revenu"), "autre": ("autres", "Autre"),
        "inconnu": ("NC", "inconnu", "?"),
    },
    "referrers": {
        "sante_generale": ("Médecin généraliste", "MG", "hôpital", "Maison médicale", "santé générale",
                           "médecin"),
        "sante_mentale": ("Santé mentale", "SSM", "psychiatre", "psychologue"),
        "aide_sociale_generale": ("CPAS", "service social", "aide sociale", "assistant social"),
        "enseignement": ("école", "PMS", "CPMS"), "aide_jeunesse": ("SAJ", "SPJ", "aide à la jeunesse"),
        "justice": ("Justice", "maison de justice", "tribunal"), "logement": ("Logement", "maison d'accueil"),
        "autre": ("autres", "Autre"), "inconnu": ("NC", "inconnu", "?"),
    },
    "requesting_services": {
        "cpas": ("CPAS",), "maison_accueil": ("Maison d'accueil", "hébergement"),
        "hopital": ("Hôpital", "hopital", "clinique", "hôpital psychiatrique"),
        "maison_medicale": ("Maison médicale", "MM"), "ssm": ("SSM", "Service de santé mentale"),
        "service_social": ("Service social", "AS"), "logement_social": ("SISP", "AIS", "logement social"),
        "ecole": ("école", "PMS"), "aide_jeunesse": ("AMO", "SAJ"), "maison_repos": ("MR", "MRS"),
        "autre": ("autres",),
    },
    "publics": {"enfant": ("Enfant", "enfants"), "adolescent": ("Adolescent", "ado", "Ados"),
                "adulte": ("Adulte", "adultes"), "personne_agee": ("Personne âgée", "senior")},
    "followups": {
        "psychologique": ("Psychologique", "psychothérapie", "psycho"),
        "psychiatrique": ("Psychiatrique", "psychiatre"),
        "pedopsychiatrique": ("Pédopsychiatrique", "pédopsy", "pedopsychiatrique"),
        "logopedique": ("Logopédique", "logopédie", "logopède"), "social": ("Social", "assistant social"),
        "psychomoteur": ("Psychomoteur", "psychomotricité"), "autre": ("Autre", "autres"),
    },
    "census_outcomes": {
        "suivi_propose": ("Suivi proposé", "suivi", "prise en charge", "RDV proposé"),
        "liste_attente": ("Liste d'attente", "en attente", "attente"),
        "reorientation": ("Réorientation", "réorienté", "réorientée"),
        "sans_suite": ("Sans suite", "abandon", "pas de suite"),
    },
    "reorientation_reasons": {
        "saturation": ("Manque de disponibilité", "manque de place", "complet", "pas de place", "saturation"),
        "hors_mission": ("Hors mission", "demande inadéquate", "hors cadre"),
        "autre": ("Autre", "autres"),
    },
    "yes_no_unknown": {"oui": ("oui", "Oui", "O"), "non": ("non", "Non", "N"),
                       "inconnu": ("ne sait pas", "NSP", "Inconnu")},
    "census_requesters": {"personne": ("La personne", "personne", "patient", "elle-même"),
                          "proche": ("Proche", "parents", "famille", "un proche")},
}
#: Sector written after a professional requester in the census (same list as ``Envoyeur``).
SECTOR_WORDS: dict[str, tuple[str, ...]] = {
    "sante_generale": ("santé générale", "médecin généraliste", "hôpital", "MG"),
    "sante_mentale": ("santé mentale", "psychiatre"), "aide_sociale_generale": ("CPAS", "service social"),
    "enseignement": ("école", "PMS"), "aide_jeunesse": ("SAJ", "aide à la jeunesse"), "justice": ("justice",),
    "logement": ("logement",), "autre": ("autre",),
}
PROFESSIONAL_WORDS = ("Professionnel", "Professionnel", "professionnel", "Pro")
#: Communes written otherwise (besides the French and Dutch names).
COMMUNE_VARIANTS: dict[str, tuple[str, ...]] = {
    "21001": ("1070", "Anderlect", "anderlecht"), "21002": ("1160", "Oudergem"),
    "21003": ("1082", "Berchem", "Berchem Ste Agathe"),
    "21004": ("1000", "Bruxelles-Ville", "Laeken", "1020", "Neder-over-Heembeek", "Haren", "Bxl"),
    "21005": ("1040", "Etterbeck", "etterbeek"), "21006": ("1140",), "21007": ("1190", "Forêt"),
    "21008": ("1083",), "21009": ("1050", "Elsene", "Ixelle"), "21010": ("1090", "jette"),
    "21011": ("1081",), "21012": ("1080", "Molenbeek", "Molenbeek St Jean", "Molembeek"),
    "21013": ("1060", "St-Gilles", "Saint Gilles"), "21014": ("1210", "St-Josse", "Saint-Josse"),
    "21015": ("1030", "Schaarbeek", "Scharbeek", "Schaerbeeck"), "21016": ("1180", "Ukkel"),
    "21017": ("1170", "Watermael", "Boitsfort"), "21018": ("1200", "Woluwé St Lambert", "WSL"),
    "21019": ("1150", "Woluwé St Pierre"),
}
REGION_WORDS: dict[str, tuple[str, ...]] = {
    "hors_bruxelles": ("Hors Bruxelles", "Hors Bruxelles", "hors région", "France"),
    "wallonie": ("Wallonie", "Namur", "Brabant wallon", "Charleroi", "1300", "Waterloo"),
    "flandre": ("Flandre", "Vilvoorde", "Dilbeek", "1700", "Zaventem"),
    "inconnu": (None, None, "NC", "inconnu", "?"),
}
#: Hors-Bruxelles places of residence: regions and towns the cleaning reads as outside Brussels.
OUTSIDE_RESIDENCE = ("Hors Bruxelles", "Hors Bruxelles", "Namur", "Vilvoorde", "Dilbeek", "Waterloo")
#: Census age bands, (text, lo, hi): the cleaning reads the midpoint rounded down.
AGE_BANDS = (("0-5 ans", 0, 5), ("6-11 ans", 6, 11), ("12-17 ans", 12, 17), ("18-25 ans", 18, 25),
             ("26-35 ans", 26, 35), ("36-45 ans", 36, 45), ("46-55 ans", 46, 55), ("56-64 ans", 56, 64),
             ("65-74 ans", 65, 74), ("75-84 ans", 75, 84), ("85 ans et plus", 85, 120))
OPEN_BAND_WIDTH = 10

#: Header spellings per sheet and field (the canonical header comes from rawformat).
HEADER_VARIANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "users": {
        # "Date 1er contact", "Date de contact" and "Sexe" are also written in Usagers sheets, but
        # the cleaning does not read them there yet (aliases shared with Professionnels / the census)
        "first_contact": ("Date du premier\ncontact", "DATE DU PREMIER CONTACT", "Date du premier contact "),
        "gender": ("Genre (F/H/X)", "GENRE", "genre"),
        "birth_year": ("Annee de naissance", "Année naissance", "Naissance", "Année de\nnaissance"),
        "commune": ("Commune", "Commune de residence ", "Domicile", "Commune de\nrésidence"),
        "income_source": ("Source de revenus", "Revenus", "Source principale\nde revenus"),
        "referrer": ("Envoyé par", "Orienté par", "ENVOYEUR", "Envoyeur "),
    },
    "pros": {
        "first_contact": ("Date 1er contact", "Date de contact", "Date du premier\ncontact"),
        "requesting_service": ("Service demandeur", "Type de service", "Type de service\ndemandeur"),
        "origin": ("Commune du service", "Origine", "Region / commune du service"),
    },
    "activities": {
        "date": ("Date de l'activité", "DATE", "Date activité", "Date "),
        "activity_type": ("Type d'activite", "Type", "Activité", "Type d'activité ", "TYPE D'ACTIVITE"),
        "place": ("Lieu", "Lieu d'intervention ", "Lieu\nd'intervention", "LIEU"),
        "workers": ("Nb travailleurs", "Intervenants", "Travailleurs\nmobilisés", "Travailleurs mobilises"),
        "users_present": ("Nb usagers", "Usagers\nprésents", "Nombre d'usagers", "usagers presents"),
        "pros_present": ("Nb professionnels", "Professionnels\nprésents", "Nombre de professionnels",
                         "professionnels presents"),
        "duration": ("Duree", "Durée (minutes)", "Temps", "DUREE", "Durée "),
    },
    "census": {
        "service": ("SSM", "Code SSM", "Service "),
        "demand_date": ("Date demande", "Date de la\ndemande", "Date de la demande "),
        "requester": ("Demande de", "DEMANDEUR"),
        "age": ("Age", "Tranche d'âge", "ÂGE"),
        "gender": ("Sexe", "genre"),
        "commune": ("Commune de résidence", "COMMUNE"),
        "public": ("PUBLIC", "Public "),
        "followup_requested": ("Type de suivi", "Suivi demande", "Suivi\ndemandé"),
        "outcome": ("Issue de la demande", "Résultat", "ISSUE"),
        "reorientation_reason": ("Motif", "Motif de\nréorientation", "Motif de reorientation"),
        "destination_full": ("Service de réorientation saturé ?", "Service de réorientation",
                             "Service de reorientation sature"),
        "first_appointment": ("Date 1er RDV", "Premier rendez-vous", "Date du premier\nrendez-vous"),
    },
}
COMMENT_HEADERS = ("Commentaires", "Remarques", "Remarque / commentaire", "Notes", "Commentaire")
COMMENT_TEXTS = ("réunion CPAS", "annulé puis reporté", "RAS", "voir agenda", "avec la coordinatrice",
                 "en binôme", "à vérifier", "suite de la séance précédente", "nouvelle collaboration")
TITLE_TEXTS = {
    "users": "Nouvelles demandes usagers (file active)",
    "pros": "Nouvelles demandes de professionnels",
    "activities": "Outil de suivi PRR – Activités",
    "census": "Recensement des nouvelles demandes",
}
#: Activity type labels that match no type (rows set aside).
UNKNOWN_ACTIVITY_LABELS = ("Tâches administratives", "Congé", "Encodage", "Déménagement du service")
IMPOSSIBLE_DATES = ("31/11/2021", "30/02/2022", "29/02/2022", "31/09/2021", "31/04/2022", "32/01/2022")


# --------------------------------------------------------------------------- styles


@dataclass
class SheetStyle:
    """How one service types one sheet: headers, layout, value spellings, mess rates."""

    header_variant_rate: float = 0.0  # share of headers written otherwise than the canonical one
    title_row: bool = False
    reorder: bool = False
    comment_col: bool = False
    total_row: bool = False
    blank_rows: int = 0
    date_styles: dict[str, float] = field(default_factory=lambda: {"cell": 1.0})
    month_first_rate: float = 0.0  # share of dates on the 1st written as a month only ("oct. 2021")
    variant_rate: float = 0.15  # share of coded values written otherwise than the label
    text_number_rate: float = 0.0  # share of counts typed as text ("3 ", "5 pers.")
    duration_styles: dict[str, float] = field(default_factory=lambda: {"minutes": 1.0})
    birth_styles: dict[str, float] = field(default_factory=lambda: {"year": 1.0})
    age_band_rate: float = 0.0
    commune_variant_rate: float = 0.2
    service_name_rate: float = 0.5  # census: SSM written as its pseudonymous name rather than code
    # rows added on top of the truth (share of truth rows, at least the minimum when > 0)
    out_of_period_rate: float = 0.0
    impossible_date_rate: float = 0.0
    bad_count_rate: float = 0.0
    unknown_type_rate: float = 0.0
    missing_field_rate: float = 0.0
    duplicate_rate: float = 0.0
    csv: bool = False  # every cell as text (CSV files)


def style_for(rng: np.random.Generator, table: str, messy: float = 1.0) -> SheetStyle:
    """A random style for one sheet of one file; ``messy`` scales the injected rates."""
    date_mix = [
        {"cell": 0.88, "dmy": 0.06, "serial": 0.03, "dmy2": 0.02, "text": 0.01},
        {"dmy": 0.7, "cell": 0.2, "dmy2": 0.05, "text": 0.03, "serial": 0.02},
        {"cell": 0.6, "serial": 0.2, "iso": 0.1, "dmy": 0.08, "text": 0.02},
        {"iso": 0.5, "cell": 0.3, "text": 0.1, "dmy2": 0.08, "serial": 0.02},
    ][int(rng.integers(0, 4))]
    duration_mix = [
        {"minutes": 0.8, "hm": 0.1, "hours_decimal": 0.1},
        {"hm": 0.5, "minutes": 0.3, "clock": 0.1, "hours_decimal": 0.1},
        {"time_cell": 0.6, "minutes": 0.3, "min_suffix": 0.1},
        {"hours_decimal": 0.5, "minutes": 0.3, "hm": 0.2},
    ][int(rng.integers(0, 4))]
    return SheetStyle(
        header_variant_rate=float(rng.choice([0.0, 0.0, 0.3, 0.6])),
        title_row=bool(rng.random() < 0.35),
        reorder=bool(rng.random() < 0.25),
        comment_col=bool(rng.random() < 0.4),
        total_row=bool(rng.random() < 0.2),
        blank_rows=int(rng.choice([0, 0, 1, 2])),
        date_styles=date_mix,
        month_first_rate=float(rng.choice([0.1, 0.3, 0.5])),
        variant_rate=float(rng.uniform(0.05, 0.3)),
        text_number_rate=float(rng.choice([0.0, 0.03, 0.1])),
        duration_styles=duration_mix,
        birth_styles={"year": 0.75, "text_year": 0.05, "date": 0.1, "age": 0.1},
        age_band_rate=0.12,
        commune_variant_rate=float(rng.uniform(0.1, 0.35)),
        out_of_period_rate=0.012 * messy,
        impossible_date_rate=0.003 * messy,
        bad_count_rate=0.003 * messy,
        unknown_type_rate=0.002 * messy,
        missing_field_rate=0.002 * messy,
        duplicate_rate=0.004 * messy,
    )


# --------------------------------------------------------------------------- value renderers


def _pick_styles(rng: np.random.Generator, n: int, weights: dict[str, float]) -> np.ndarray:
    names = list(weights)
    w = np.array([weights[k] for k in names], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), n, p=w / w.sum())]


def _obj(values) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def _vary(rng: np.random.Generator, canonical: np.ndarray, variants: dict[str, tuple], codes: np.ndarray,
          rate: float) -> np.ndarray:
    """Replace a share ``rate`` of labels by a random variant of their code."""
    out = canonical.copy()
    swap = np.flatnonzero(rng.random(len(codes)) < rate)
    for i in swap:
        alts = variants.get(codes[i])
        if alts:
            out[i] = alts[int(rng.integers(len(alts)))]
    return out


def render_dates(rng: np.random.Generator, dates: pd.Series, style: SheetStyle) -> np.ndarray:
    """Dates (``datetime64``; NaT → empty) in the sheet's mix of spellings."""
    d = pd.to_datetime(dates).reset_index(drop=True)
    n = len(d)
    out = np.full(n, None, dtype=object)
    present = d.notna().to_numpy()
    styles = _pick_styles(rng, n, style.date_styles)
    if style.csv:
        styles[styles == "cell"] = "dmy"
        styles[styles == "serial"] = "dmy"
    first = (d.dt.day == 1).to_numpy()
    styles[np.isin(styles, MONTH_ONLY_STYLES) & ~first] = "dmy"
    styles[first & (rng.random(n) < style.month_first_rate)] = "month"
    for name in np.unique(styles):
        sel = np.flatnonzero((styles == name) & present)
        if len(sel) == 0:
            continue
        part = d.iloc[sel]
        if name == "cell":
            out[sel] = [x.date() for x in part]
        elif name == "serial":
            out[sel] = ((part.to_numpy().astype("datetime64[D]") - EXCEL_EPOCH).astype(np.int64)).tolist()
        elif name == "dmy":
            out[sel] = part.dt.strftime("%d/%m/%Y").tolist()
        elif name == "dmy2":
            out[sel] = part.dt.strftime("%d-%m-%y").tolist()
        elif name == "iso":
            out[sel] = part.dt.strftime("%Y-%m-%d").tolist()
        elif name == "text":
            out[sel] = [f"{x.day} {FRENCH_MONTHS[x.month - 1]} {x.year}" for x in part]
        elif name == "month":
            out[sel] = [f"{FRENCH_MONTHS_SHORT[x.month - 1]} {x.year}" for x in part]
    return out


def render_text_dates(dates: pd.Series) -> np.ndarray:
    """Dates as ``dd/mm/yyyy`` text (NaT → empty)."""
    d = pd.to_datetime(dates).reset_index(drop=True)
    out = np.full(len(d), None, dtype=object)
    ok = d.notna().to_numpy()
    out[ok] = d[ok].dt.strftime("%d/%m/%Y").tolist()
    return out


def render_codes(rng: np.random.Generator, codes: pd.Series, domain: str, rate: float,
                 none_words: tuple = (None,)) -> np.ndarray:
    """Coded values as their French label, a share ``rate`` spelt otherwise; None → empty or an unknown word."""
    labels = reference.labels(domain)
    c = _obj(codes.astype(object).where(codes.notna(), None))
    canonical = _obj([labels[x] if x is not None else None for x in c])
    out = _vary(rng, canonical, VARIANTS.get(domain, {}), c, rate)
    missing = np.flatnonzero(np.array([x is None for x in c]))
    if len(missing):
        out[missing] = _obj([none_words[int(k)] for k in rng.integers(0, len(none_words), len(missing))])
    return out


def render_counts(rng: np.random.Generator, counts: pd.Series, style: SheetStyle) -> np.ndarray:
    """Head counts: numbers, some typed as text (``"3 "``, ``"5 pers."``, ``"2,0"``); NA → empty."""
    n = len(counts)
    vals = counts.astype("Int64")
    out = np.full(n, None, dtype=object)
    present = vals.notna().to_numpy()
    out[present] = vals[present].astype(int).tolist()
    if style.csv:
        out[present] = [str(v) for v in out[present]]
    text = np.flatnonzero(present & (rng.random(n) < style.text_number_rate))
    forms = rng.integers(0, 4, len(text))
    numbers = vals.to_numpy(dtype=float, na_value=np.nan)
    for i, f in zip(text, forms, strict=True):
        v = int(numbers[i])
        out[i] = (f"{v} ", f"{v} pers." if v else "0", f"{v},0", str(v))[int(f)]
    return out


def duration_forms(minutes: float) -> dict[str, object]:
    """Every spelling of a duration the cleaning reads back exactly, by style name."""
    m = int(round(minutes))
    h, r = divmod(m, 60)
    forms: dict[str, object] = {"minutes": m, "hm": f"{h}h{r:02d}" if r else f"{h}h",
                                "clock": f"{h:02d}:{r:02d}", "time_cell": dt.time(h, r) if h < 24 else None,
                                "min_suffix": f"{m} min"}
    hours = m / 60
    if hours < 10 and abs(hours * 100 - round(hours * 100)) < 1e-9:
        forms["hours_decimal"] = f"{hours:g}".replace(".", ",")
    if m < 10:
        forms["minutes"] = f"{m} min"
    return forms


def render_durations(rng: np.random.Generator, minutes: pd.Series, style: SheetStyle) -> np.ndarray:
    """Durations in the sheet's mix of spellings (fallback: minutes)."""
    styles = _pick_styles(rng, len(minutes), style.duration_styles)
    out = np.full(len(minutes), None, dtype=object)
    cache: dict[float, dict] = {}
    for i, (m, s) in enumerate(zip(minutes.astype("Float64").tolist(), styles, strict=True)):
        if m is None or pd.isna(m):
            continue
        forms = cache.get(m)
        if forms is None:
            forms = cache[m] = duration_forms(m)
        value = forms.get(s)
        if value is None or (style.csv and s == "time_cell"):
            value = forms["clock"] if s == "time_cell" else forms["minutes"]
        if style.csv and not isinstance(value, str):
            value = str(value)
        out[i] = value
    return out


def render_communes(rng: np.random.Generator, nis: pd.Series, region: pd.Series, rate: float,
                    outside: tuple[str, ...] = OUTSIDE_RESIDENCE) -> np.ndarray:
    """Communes (NIS code) as French names, some as Dutch names, postal codes or misspellings;
    outside Brussels as a region or town, unknown as empty or ``NC``."""
    com = reference.communes().set_index("nis_code")
    n = len(nis)
    out = np.full(n, None, dtype=object)
    nis_v = _obj(nis.astype(object).where(nis.notna(), None))
    reg_v = _obj(region.astype(object))
    r = rng.random(n)
    k = rng.integers(0, 1000, n)
    for i in range(n):
        code = nis_v[i]
        if code is not None:
            if r[i] < rate:
                alts = (com.loc[code, "name_nl"], *COMMUNE_VARIANTS.get(code, ()))
                out[i] = alts[k[i] % len(alts)]
            else:
                out[i] = com.loc[code, "name_fr"]
        elif reg_v[i] == "hors_bruxelles":
            out[i] = outside[k[i] % len(outside)]
        elif reg_v[i] in REGION_WORDS:
            words = REGION_WORDS[reg_v[i]]
            out[i] = words[k[i] % len(words)]
    return out


def render_birth(rng: np.random.Generator, birth_year: pd.Series, first_contact: pd.Series,
                 style: SheetStyle) -> np.ndarray:
    """Birth years as years, text years, full birth dates (same year) or ages at first contact."""
    styles = _pick_styles(rng, len(birth_year), style.birth_styles)
    out = np.full(len(birth_year), None, dtype=object)
    years = birth_year.astype("Int64").to_numpy(dtype=float, na_value=np.nan)
    contact = pd.to_datetime(first_contact).dt.year.to_numpy()
    days = rng.integers(0, 365, len(birth_year))
    for i in range(len(birth_year)):
        if np.isnan(years[i]):
            continue
        y = int(years[i])
        s = styles[i]
        age = int(contact[i]) - y
        if s == "age" and 0 <= age <= 120:
            out[i] = f"{age} ans" if days[i] % 2 else age
        elif s == "date":
            d = dt.date(y, 1, 1) + dt.timedelta(days=int(days[i]))
            out[i] = d.strftime("%d/%m/%Y") if (style.csv or days[i] % 3) else d
        elif s == "text_year" or style.csv:
            out[i] = str(y)
        else:
            out[i] = y
    return out


def band_of(age: int) -> tuple[str, int] | None:
    """The age band holding ``age`` and the age the cleaning reads from it."""
    for text, lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            read = lo + OPEN_BAND_WIDTH // 2 if hi >= 120 else (lo + hi) // 2
            return text, read
    return None


def band_ages(rng: np.random.Generator, ages: pd.Series, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Choose the census ages given as a band: (mask, age the cleaning will read)."""
    a = ages.astype("Int64")
    mask = (rng.random(len(a)) < rate) & a.notna().to_numpy()
    read = a.to_numpy(dtype=float, na_value=np.nan).copy()
    for i in np.flatnonzero(mask):
        read[i] = band_of(int(read[i]))[1]
    return mask, read


def render_census_ages(rng: np.random.Generator, ages: pd.Series, banded: np.ndarray, demand: pd.Series,
                       style: SheetStyle) -> np.ndarray:
    """Ages: numbers, ``34 ans``, the band for ``banded`` rows, a few birth years."""
    out = np.full(len(ages), None, dtype=object)
    a = ages.astype("Int64").to_numpy(dtype=float, na_value=np.nan)
    years = pd.to_datetime(demand).dt.year.to_numpy()
    r = rng.random(len(a))
    for i in range(len(a)):
        if np.isnan(a[i]):
            continue
        v = int(a[i])
        if banded[i]:
            out[i] = band_of(v)[0] if band_of(v)[1] == v else str(v)
        elif r[i] < 0.04:
            out[i] = str(int(years[i]) - v) if style.csv else int(years[i]) - v
        elif r[i] < 0.1:
            out[i] = f"{v} ans"
        else:
            out[i] = str(v) if style.csv else v
    return out


def render_requesters(rng: np.random.Generator, requester: pd.Series, sector: pd.Series, rate: float) -> np.ndarray:
    """``Demandeur``: the person, a relative, ``Professionnel - <sector>`` or a sector alone."""
    labels = reference.labels("census_requesters")
    out = np.full(len(requester), None, dtype=object)
    r = rng.random(len(requester))
    k = rng.integers(0, 1000, len(requester))
    for i, (who, sec) in enumerate(zip(requester.astype(object), sector.astype(object), strict=True)):
        if who is None or who is pd.NA:
            continue
        if who in ("personne", "proche"):
            alts = VARIANTS["census_requesters"][who]
            out[i] = alts[k[i] % len(alts)] if r[i] < rate else labels[who]
            continue
        head = PROFESSIONAL_WORDS[k[i] % len(PROFESSIONAL_WORDS)]
        if sec is None or sec is pd.NA:
            out[i] = head
            continue
        words = SECTOR_WORDS[sec]
        word = words[(k[i] // 7) % len(words)]
        if r[i] < 0.15 and sec in ("sante_generale", "aide_sociale_generale", "enseignement", "aide_jeunesse"):
            out[i] = word[0].upper() + word[1:]
        elif r[i] < 0.3:
            out[i] = f"{head} ({word})"
        else:
            out[i] = f"{head} - {word}"
    return out


# --------------------------------------------------------------------------- sheets


@dataclass
class RenderedSheet:
    """Raw rows of one sheet (title and header included) and what was injected."""

    rows: list[list[Cell]]
    injected: dict[str, int]


def headers_for(rng: np.random.Generator, table: str, style: SheetStyle) -> dict[str, str]:
    """Header text per field: canonical, or a variant for a share of the columns."""
    raw = {c.field: c.header for c in _raw_sheet(table).columns}
    variants = HEADER_VARIANTS[table]
    out = {}
    for fld, header in raw.items():
        alts = variants.get(fld, ())
        if alts and rng.random() < style.header_variant_rate:
            out[fld] = alts[int(rng.integers(len(alts)))]
        else:
            out[fld] = header
    return out


def _raw_sheet(table: str) -> rawformat.RawSheet:
    return {s.table: s for s in (*rawformat.TRACKING_SHEETS, rawformat.CENSUS)}[table]


def field_cells(rng: np.random.Generator, table: str, df: pd.DataFrame, style: SheetStyle,
                extra: dict | None = None) -> dict[str, np.ndarray]:
    """Raw cells per raw field for truth rows ``df`` of ``table``."""
    n = len(df)
    if n == 0:
        return {c.field: np.zeros(0, dtype=object) for c in _raw_sheet(table).columns}
    cells: dict[str, np.ndarray] = {}
    if table == "activities":
        cells["date"] = render_dates(rng, df["date"], style)
        cells["activity_type"] = render_codes(rng, df["activity_type"], "activity_types", style.variant_rate)
        cells["place"] = render_codes(rng, df["place"], "places", style.variant_rate)
        cells["workers"] = render_counts(rng, df["workers"], style)
        users, pros = df["users_present"], df["pros_present"]
        u = render_counts(rng, users, style)
        p = render_counts(rng, pros, style)
        # the count of the other public is often left empty when it is zero
        blank_u = (users.fillna(-1).to_numpy() == 0) & (pros.fillna(0).to_numpy() > 0) & (rng.random(n) < 0.6)
        blank_p = (pros.fillna(-1).to_numpy() == 0) & users.notna().to_numpy() & (rng.random(n) < 0.6)
        u[blank_u] = None
        p[blank_p & ~blank_u] = None
        cells["users_present"], cells["pros_present"] = u, p
        cells["duration"] = render_durations(rng, df["duration_min"], style)
    elif table == "users":
        cells["first_contact"] = render_dates(rng, df["first_contact"], style)
        cells["gender"] = render_codes(rng, df["gender"], "genders", style.variant_rate)
        cells["birth_year"] = render_birth(rng, df["birth_year"], df["first_contact"], style)
        cells["commune"] = render_communes(rng, df["commune_nis"], df["residence"], style.commune_variant_rate)
        cells["income_source"] = _unknown_as(rng, render_codes(rng, df["income_source"], "income_sources",
                                                               style.variant_rate), df["income_source"])
        cells["referrer"] = _unknown_as(rng, render_codes(rng, df["referrer"], "referrers", style.variant_rate),
                                        df["referrer"])
    elif table == "pros":
        cells["first_contact"] = render_dates(rng, df["first_contact"], style)
        req = render_codes(rng, df["requesting_service"], "requesting_services", style.variant_rate)
        empty_other = (df["requesting_service"].to_numpy(dtype=object) == "autre") & (rng.random(n) < 0.4)
        req[empty_other] = None
        cells["requesting_service"] = req
        cells["origin"] = render_communes(rng, df["origin_commune_nis"], df["origin_region"],
                                          style.commune_variant_rate, outside=REGION_WORDS["hors_bruxelles"])
    elif table == "census":
        cells["service"] = _render_ssm(rng, df["service_code"], style.service_name_rate)
        cells["demand_date"] = render_dates(rng, df["demand_date"], style)
        cells["requester"] = render_requesters(rng, df["requester"], df["requester_sector"], style.variant_rate)
        cells["age"] = render_census_ages(rng, df["age"], extra["banded"], df["demand_date"], style)
        cells["gender"] = render_codes(rng, df["gender"], "genders", style.variant_rate)
        cells["commune"] = render_communes(rng, df["commune_nis"], df["residence"], style.commune_variant_rate)
        cells["public"] = render_codes(rng, df["public"], "publics", style.variant_rate)
        cells["followup_requested"] = render_codes(rng, df["followup_requested"], "followups", style.variant_rate)
        cells["outcome"] = render_codes(rng, df["outcome"], "census_outcomes", style.variant_rate)
        cells["reorientation_reason"] = render_codes(rng, df["reorientation_reason"], "reorientation_reasons",
                                                     style.variant_rate)
        cells["destination_full"] = render_codes(rng, df["destination_full"], "yes_no_unknown", style.variant_rate)
        cells["first_appointment"] = render_text_dates(df["first_appointment"]) if style.csv else \
            render_dates(rng, df["first_appointment"], SheetStyle(date_styles={"cell": 0.85, "dmy": 0.15}))
    if style.csv:
        for fld, arr in cells.items():
            cells[fld] = _obj([None if v is None else (v if isinstance(v, str) else str(v)) for v in arr])
    return cells


def _unknown_as(rng: np.random.Generator, cells: np.ndarray, codes: pd.Series) -> np.ndarray:
    """``inconnu`` written as an empty cell half of the time."""
    unknown = (codes.to_numpy(dtype=object) == "inconnu") & (rng.random(len(codes)) < 0.5)
    cells = cells.copy()
    cells[unknown] = None
    return cells


def _render_ssm(rng: np.random.Generator, codes: pd.Series, name_rate: float) -> np.ndarray:
    """Census SSM written as its code (``SSM07``, ``ssm07``) or its pseudonymous name."""
    names = reference.services().set_index("code")["name"]
    c = codes.to_numpy(dtype=object)
    r = rng.random(len(c))
    return _obj([names[x] if r[i] < name_rate else (x.lower() if r[i] > 0.95 else x) for i, x in enumerate(c)])


# --------------------------------------------------------------------------- injected rows


def _spoil_rows(rng: np.random.Generator, table: str, cells: dict[str, np.ndarray], style: SheetStyle,
                period: tuple[str, str]) -> tuple[list[dict[str, Cell]], dict[str, int], list[tuple[int, int]]]:
    """Rows the cleaning must set aside, made from copies of truth rows with one field spoilt.

    Returns the spoilt rows (field → cell), the count per kind, and (position,
    source index) pairs of exact copies to insert after a truth row.
    """
    n = len(next(iter(cells.values()))) if cells else 0
    if n == 0:
        return [], {}, []
    date_field = {"users": "first_contact", "pros": "first_contact", "activities": "date",
                  "census": "demand_date"}[table]

    def how_many(rate: float) -> int:
        if rate <= 0:
            return 0
        return int(rng.binomial(n, rate)) or int(rng.random() < rate * n * 2)

    def base() -> dict[str, Cell]:
        i = int(rng.integers(n))
        return {f: column[i] for f, column in cells.items()}

    rows: list[dict[str, Cell]] = []
    kinds: dict[str, int] = {}

    def add(kind: str, row: dict) -> None:
        rows.append(row)
        kinds[kind] = kinds.get(kind, 0) + 1

    start, end = period
    before = pd.Period(start, freq="M") - 1
    after = pd.Period(end, freq="M") + 1
    outside_style = SheetStyle(date_styles={"cell": 0.5, "dmy": 0.5}, csv=style.csv)
    k = how_many(style.out_of_period_rate)
    if k:
        months = [before if b else after for b in rng.random(k) < 0.5]
        days = [pd.Timestamp(m.year, m.month, int(rng.integers(1, m.days_in_month + 1))) for m in months]
        for value in render_dates(rng, pd.Series(days), outside_style):
            row = base()
            row[date_field] = value
            add("out_of_period", row)
    for _ in range(how_many(style.impossible_date_rate)):
        row = base()
        row[date_field] = IMPOSSIBLE_DATES[int(rng.integers(len(IMPOSSIBLE_DATES)))]
        if table == "census":
            row[date_field] = "30/02/2021" if period[0] < "2022" else "29/02/2023"
        add("impossible_date", row)
    if table == "activities":
        for _ in range(how_many(style.bad_count_rate)):
            row = base()
            fld = ("users_present", "pros_present", "workers")[int(rng.integers(3))]
            row[fld] = (-1, -3, "-2", 1500, "2000", 99999)[int(rng.integers(6))]
            add("bad_count", row)
        for _ in range(how_many(style.unknown_type_rate)):
            row = base()
            row["activity_type"] = UNKNOWN_ACTIVITY_LABELS[int(rng.integers(len(UNKNOWN_ACTIVITY_LABELS)))]
            add("unknown_type", row)
    for _ in range(how_many(style.missing_field_rate)):
        row = base()
        if table == "activities" and rng.random() < 0.5:
            row["activity_type"] = None
            add("missing_type", row)
        elif table == "census" and rng.random() < 0.5:
            row["outcome"] = None
            add("missing_outcome", row)
        else:
            row[date_field] = None
            add("missing_date", row)
    # Exact copies of a row are no longer written: the cleaning keeps identical rows (a team
    # can log two identical visits a day) and only flags them, so a copy would change the
    # calibrated figures. The draws are still made, so that every other random choice (and
    # file) stays the same.
    for _ in range(how_many(style.duplicate_rate)):
        rng.integers(n)
    return rows, kinds, []


def render_sheet(rng: np.random.Generator, table: str, df: pd.DataFrame, style: SheetStyle,
                 period: tuple[str, str], extra: dict | None = None, inject: bool = True) -> RenderedSheet:
    """All raw rows of one sheet: optional title row, header, data (with injected rows), total row."""
    cells = field_cells(rng, table, df, style, extra)
    fields = [c.field for c in _raw_sheet(table).columns]
    headers = headers_for(rng, table, style)
    order = list(fields)
    if style.reorder:
        order = [order[i] for i in rng.permutation(len(order))]
    comment = COMMENT_HEADERS[int(rng.integers(len(COMMENT_HEADERS)))] if style.comment_col else None
    if comment:
        order.insert(int(rng.integers(len(order) // 2, len(order) + 1)), "__comment__")
    injected: dict[str, int] = {}
    spoilt, kinds, copies = _spoil_rows(rng, table, cells, style, period) if inject else ([], {}, [])
    injected.update(kinds)
    n = len(df)
    data: list[list[Cell]] = []
    copy_after: dict[int, int] = {}
    for pos, _src in copies:
        copy_after[pos] = copy_after.get(pos, 0) + 1
    comment_cells = np.full(n, None, dtype=object)
    if comment:
        has = np.flatnonzero(rng.random(n) < 0.08)
        comment_cells[has] = _obj([COMMENT_TEXTS[int(k)] for k in rng.integers(0, len(COMMENT_TEXTS), len(has))])
    columns = [cells[f] if f != "__comment__" else comment_cells for f in order]
    for i in range(n):
        row = [col[i] for col in columns]
        data.append(row)
        for _ in range(copy_after.get(i, 0)):
            data.append(list(row))
    for row in spoilt:
        position = int(rng.integers(0, len(data) + 1))
        data.insert(position, [row.get(f) if f != "__comment__" else None for f in order])
    if comment and inject and n and rng.random() < 0.5:
        data.insert(int(rng.integers(0, len(data) + 1)),
                    [("à compléter" if f == "__comment__" else None) for f in order])
        injected["comment_only"] = 1
    for _ in range(style.blank_rows if n else 0):
        data.insert(int(rng.integers(1, len(data) + 1)), [None] * len(order))
    if style.blank_rows and n:
        injected["blank_rows"] = style.blank_rows
    rows: list[list[Cell]] = []
    if style.title_row:
        rows.append([TITLE_TEXTS[table]] + [None] * (len(order) - 1))
        rows.append([None] * len(order))
    rows.append([headers[f] if f != "__comment__" else comment for f in order])
    rows.extend(data)
    if style.total_row and n and table in ("activities", "census"):
        total = [None] * len(order)
        total[0] = "Total" if not style.csv else "TOTAL"
        for j, f in enumerate(order):
            if f in ("users_present", "pros_present", "workers") and j > 0:
                total[j] = int(pd.to_numeric(df[f], errors="coerce").fillna(0).sum()) if not style.csv else \
                    str(int(pd.to_numeric(df[f], errors="coerce").fillna(0).sum()))
        rows.append(total)
        injected["total_row"] = 1
    return RenderedSheet(rows, injected)
