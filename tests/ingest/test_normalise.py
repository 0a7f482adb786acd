"""Cell parsers: property tests (hypothesis) and the real mess of tracking-tool.md."""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import reference
from analysis.ingest import normalise as nz

COMMUNES = reference.communes()
FRENCH_ABBR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
FRENCH_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre"]
CODED_DOMAINS = ["activity_types", "referrers", "income_sources", "requesting_services", "genders", "places",
                 "publics", "followups", "census_outcomes", "reorientation_reasons", "yes_no_unknown"]


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def messy(text: str, draw) -> str:
    """The same text as a hurried user types it: case, accents, spaces."""
    variant = draw(st.sampled_from([text, text.upper(), text.lower(), strip_accents(text)]))
    return draw(st.sampled_from(["", " ", "  "])) + variant + draw(st.sampled_from(["", " ", "\n"]))


# --------------------------------------------------------------------------- fold


@given(st.text())
def test_fold_is_idempotent_and_plain(text):
    folded = nz.fold(text)
    assert nz.fold(folded) == folded
    assert folded == folded.strip()
    assert all(c.isascii() and (c.isalnum() or c == " ") for c in folded)


def test_fold_examples():
    assert nz.fold("Permanence d'écoute – Élaboration\n") == "permanence d ecoute elaboration"
    assert nz.fold("  Usagers\nprésents ") == "usagers presents"


# --------------------------------------------------------------------------- dates

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2049, 12, 31))


@given(dates)
def test_date_round_trips_through_every_written_form(d):
    serial = (d - dt.date(1899, 12, 30)).days
    forms = [
        d, dt.datetime(d.year, d.month, d.day, 14, 30), serial, float(serial), str(serial),
        d.strftime("%d/%m/%Y"), d.strftime("%d-%m-%Y"), d.strftime("%d.%m.%Y"), d.isoformat(),
        f"{d.day}/{d.month}/{d.year}", f"{d.isoformat()} 00:00:00",
        f"{d.day} {FRENCH_MONTHS[d.month - 1]} {d.year}",
    ]
    if d.year <= 2050:
        forms.append(d.strftime("%d-%m-%y"))
    for form in forms:
        assert nz.parse_date(form) == d, form


@given(st.integers(1990, 2049), st.integers(1, 12), st.sampled_from(["full", "abbr", "numeric"]))
def test_month_only_dates_are_the_first_of_the_month(year, month, style):
    name = FRENCH_MONTHS[month - 1]
    text = {"full": f"{name} {year}", "abbr": f"{FRENCH_ABBR[month - 1]} {year}", "numeric": f"{month:02d}/{year}"}[style]
    assert nz.parse_date(text) == dt.date(year, month, 1)


@given(st.integers(1990, 2049), st.integers(1, 12), st.integers(29, 31))
def test_impossible_dates_are_rejected_with_a_reason(year, month, day):
    if day <= calendar.monthrange(year, month)[1]:
        return
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_date(f"{day:02d}/{month:02d}/{year}")
    assert err.value.kind == "impossible"
    assert "date impossible" in err.value.message


@pytest.mark.parametrize(("raw", "expected"), [
    (44473, dt.date(2021, 10, 4)),
    (44473.75, dt.date(2021, 10, 4)),
    ("04/10/2021", dt.date(2021, 10, 4)),
    ("4-10-21", dt.date(2021, 10, 4)),
    ("2021-10-04", dt.date(2021, 10, 4)),
    ("oct. 2021", dt.date(2021, 10, 1)),
    ("octobre 2021", dt.date(2021, 10, 1)),
    ("Février 2022", dt.date(2022, 2, 1)),
    ("1er mars 2022", dt.date(2022, 3, 1)),
    ("lundi 4 octobre 2021", dt.date(2021, 10, 4)),
    (dt.datetime(2021, 10, 4, 9, 0), dt.date(2021, 10, 4)),
    (None, None),
    ("   ", None),
])
def test_date_examples(raw, expected):
    assert nz.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2022", "30/02/2021", "2021-13-01", "32/01/2022"])
def test_impossible_date_examples(raw):
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_date(raw)
    assert err.value.kind == "impossible"


@pytest.mark.parametrize("raw", ["bientôt", "semaine 42", "??/10/2021", True, -5, dt.time(10, 0)])
def test_unreadable_dates(raw):
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_date(raw)
    assert err.value.kind == "invalid"


# --------------------------------------------------------------------------- durations


@given(st.integers(0, 23), st.integers(0, 59))
def test_duration_hours_and_minutes_forms(h, m):
    minutes = 60 * h + m
    for form in (f"{h}h{m:02d}", f"{h} h {m}", f"{h:02d}:{m:02d}", f"{h}:{m:02d}:00", dt.time(h, m),
                 dt.timedelta(hours=h, minutes=m)):
        assert nz.parse_duration(form) == pytest.approx(minutes), form


@given(st.integers(10, 1440))
def test_bare_numbers_from_ten_are_minutes(n):
    assert nz.parse_duration(n) == n
    assert nz.parse_duration(str(n)) == n
    assert nz.parse_duration(f"{n} min") == n
    assert nz.parse_duration(f"{n}'") == n


@given(st.integers(0, 9), st.integers(0, 9))
def test_bare_numbers_below_ten_are_hours(units, tenths):
    hours = units + tenths / 10
    assert nz.parse_duration(f"{units},{tenths}") == pytest.approx(hours * 60)
    assert nz.parse_duration(hours) == pytest.approx(hours * 60)
    assert nz.parse_duration(f"{units}h") == 60 * units


@pytest.mark.parametrize(("raw", "minutes"), [
    (90, 90), ("1h30", 90), ("01:30", 90), ("1,5", 90), ("2h", 120), ("45 min", 45), ("2 heures", 120),
    ("1h30min", 90), (" 45 ", 45), ("6", 360), (dt.datetime(1899, 12, 30, 1, 30), 90), (None, None),
])
def test_duration_examples(raw, minutes):
    assert nz.parse_duration(raw) == minutes


@pytest.mark.parametrize(("raw", "kind"), [
    ("-30", "negative"), (-1, "negative"), ("3000", "absurd"), ("30h", "absurd"), ("longtemps", "invalid"),
    (dt.datetime(2021, 10, 4), "invalid"),
])
def test_duration_problems(raw, kind):
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_duration(raw)
    assert err.value.kind == kind


# --------------------------------------------------------------------------- counts


@given(st.integers(0, 1000))
def test_counts_written_as_text(n):
    for form in (n, float(n), str(n), f"{n} ", f" {n}", f"{n} pers.", f"{n} personnes", f"{n},0",
                 f"{n}\u00a0"):
        assert nz.parse_count(form, maximum=1000) == n, form


@given(st.integers(1, 10_000))
def test_negative_counts_are_problems(n):
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_count(-n)
    assert err.value.kind == "negative"
    with pytest.raises(nz.ValueProblem):
        nz.parse_count(f"-{n}")


@given(st.integers(101, 100_000))
def test_counts_above_the_maximum_are_absurd(n):
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_count(n, maximum=100)
    assert err.value.kind == "absurd"


@pytest.mark.parametrize(("raw", "expected"), [("3 ", 3), ("5 pers.", 5), ("2,0", 2), ("aucun", 0), ("", None),
                                               (None, None), ("env. 12", 12)])
def test_count_examples(raw, expected):
    assert nz.parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["2,5", "3 ou 4", "beaucoup", "1-2", True])
def test_unreadable_counts(raw):
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_count(raw)
    assert err.value.kind == "invalid"


# --------------------------------------------------------------------------- communes


@st.composite
def commune_written(draw):
    row = COMMUNES.iloc[draw(st.integers(0, len(COMMUNES) - 1))]
    form = draw(st.sampled_from(["fr", "nl", "postal", "postal_name", "nis"]))
    postal = draw(st.sampled_from(row["postal_codes"].split(";")))
    text = {
        "fr": messy(row["name_fr"], draw), "nl": messy(row["name_nl"], draw), "postal": postal,
        "postal_name": f"{postal} {row['name_fr']}", "nis": row["nis_code"],
    }[form]
    return row, text


@given(commune_written())
def test_every_commune_name_postal_code_and_nis_code_round_trips(case):
    row, text = case
    place = nz.parse_commune(text)
    assert place.nis == row["nis_code"]
    assert place.region == "bruxelles" and place.residence == "bruxelles"
    if row["basin"]:
        assert place.basin == row["basin"]


@given(st.sampled_from(sorted(nz.aliases("communes"))))
def test_every_commune_alias_resolves_to_a_brussels_commune(alias):
    place = nz.parse_commune(alias)
    assert place.nis in set(COMMUNES["nis_code"])


@given(st.integers(1300, 9999))
def test_postal_codes_outside_brussels_are_outside(code):
    place = nz.parse_commune(str(code))
    assert place.nis is None
    assert place.residence == "hors_bruxelles"
    assert place.region in ("wallonie", "flandre")


@pytest.mark.parametrize(("raw", "nis", "basin"), [
    ("Elsene", "21009", "Sud"), ("Schaarbeek", "21015", "Nord-Est"), ("Scharbeek", "21015", "Nord-Est"),
    ("Molenbeek", "21012", "Centre-Ouest"), ("St-Gilles", "21013", "Sud"),
    ("Woluwé St Lambert", "21018", "Sud-Est"), ("1050", "21009", "Sud"), (1050, "21009", "Sud"),
    ("1040", "21005", "Sud-Est"), ("1020", "21004", "Nord"), ("1120", "21004", "Nord"),
    ("1130", "21004", "Nord"), ("1000", "21004", "Centre-Ouest"), ("Laeken", "21004", "Nord"),
    ("Neder-over-Heembeek", "21004", "Nord"), ("Haren", "21004", "Nord"), ("Bruxelles", "21004", None),
    ("1020 Laeken", "21004", "Nord"), ("B-1030 Schaerbeek", "21015", "Nord-Est"),
])
def test_commune_examples(raw, nis, basin):
    place = nz.parse_commune(raw)
    assert (place.nis, place.basin, place.residence) == (nis, basin, "bruxelles")


@pytest.mark.parametrize(("raw", "region", "residence"), [
    ("Wallonie", "wallonie", "hors_bruxelles"), ("Flandre", "flandre", "hors_bruxelles"),
    ("Hors Bruxelles", "hors_bruxelles", "hors_bruxelles"), ("Namur", "wallonie", "hors_bruxelles"),
    ("Inconnu", "inconnu", "inconnu"), ("", "inconnu", "inconnu"), (None, "inconnu", "inconnu"),
    ("NC", "inconnu", "inconnu"),
])
def test_regions_and_unknown(raw, region, residence):
    place = nz.parse_commune(raw)
    assert (place.nis, place.region, place.residence) == (None, region, residence)


def test_unrecognised_commune_is_a_problem_not_a_guess():
    with pytest.raises(nz.ValueProblem) as err:
        nz.parse_commune("Atlantis")
    assert err.value.kind == "unmatched"
    assert "Atlantis" in err.value.message


# --------------------------------------------------------------------------- vocabularies


@st.composite
def label_or_alias(draw):
    domain = draw(st.sampled_from(CODED_DOMAINS))
    labels = reference.labels(domain)
    pairs = [(label, code) for code, label in labels.items()] + [(code, code) for code in labels]
    pairs += [(a, c) for a, c in nz.aliases(domain).items()]
    text, code = draw(st.sampled_from(pairs))
    return domain, messy(text, draw), code


@settings(max_examples=300)
@given(label_or_alias())
def test_every_label_code_and_alias_maps_back_to_its_code(case):
    domain, text, code = case
    assert nz.match_code(domain, text) == code


@pytest.mark.parametrize(("raw", "code"), [
    ("Permanence d'écoute - élaboration", "permanence_elaboration"),
    ("Permanence d'écoute – orientation", "permanence_orientation"),
    ("Temps reseau", "temps_reseau"), ("Activité communautaire", "communautaire_collectif"),
    ("Réduction des risques", "prevention_rdr"), ("Suivi", "suivi_accompagnement"),
    ("SUPERVISON", "supervision"), ("intervisions", "intervision"), ("Groupe de paroles", "groupe_parole"),
    ("Participation à une formation", "participation_formation"), ("Divers", "divers"),
])
def test_activity_type_examples(raw, code):
    assert nz.match_code("activity_types", raw) == code


def test_ambiguous_and_unknown_activity_types_are_problems():
    with pytest.raises(nz.ValueProblem) as err:
        nz.match_code("activity_types", "Permanence d'écoute")
    assert err.value.kind == "ambiguous"
    with pytest.raises(nz.ValueProblem) as err:
        nz.match_code("activity_types", "Danse du ventre")
    assert err.value.kind == "unmatched"


@pytest.mark.parametrize(("domain", "raw", "code"), [
    ("referrers", "Médecin généraliste", "sante_generale"), ("referrers", "CPAS", "aide_sociale_generale"),
    ("referrers", "Santé générale", "sante_generale"), ("referrers", "autre : police", "autre"),
    ("income_sources", "CPAS", "cpas_ris"), ("income_sources", "chomage", "chomage"),
    ("income_sources", "Mutuelle", "mutuelle"), ("income_sources", "NC", "inconnu"),
    ("requesting_services", "maison medicale", "maison_medicale"), ("requesting_services", "SISP", "logement_social"),
    ("places", "A l'exterieur", "exterieur"), ("places", "visio", "en_ligne"),
    ("publics", "ados", "adolescent"), ("followups", "psy", None),
    ("census_outcomes", "Liste d'attente", "liste_attente"), ("census_outcomes", "réorienté", "reorientation"),
    ("reorientation_reasons", "Manque de disponibilité (saturation)", "saturation"),
    ("yes_no_unknown", "O", "oui"), ("yes_no_unknown", "ne sait pas", "inconnu"),
])
def test_vocabulary_examples(domain, raw, code):
    if code is None:
        with pytest.raises(nz.ValueProblem):
            nz.match_code(domain, raw)
    else:
        assert nz.match_code(domain, raw) == code


@pytest.mark.parametrize(("raw", "code"), [("femme", "F"), ("F", "F"), ("homme", "H"), ("M", "H"), ("H", "H"),
                                           ("autre", "X"), ("X", "X"), ("Féminin", "F"), ("inconnu", None),
                                           ("", None)])
def test_gender_examples(raw, code):
    assert nz.parse_gender(raw) == code


# --------------------------------------------------------------------------- ages


@given(st.integers(1901, 2021))
def test_birth_years_stay_years(year):
    assert nz.parse_birth_year(year, 2021) == year
    assert nz.parse_birth_year(str(year), 2021) == year
    assert nz.parse_birth_year(f"15/06/{year}", 2021) == year


@given(st.integers(0, 120), st.integers(2000, 2030))
def test_small_numbers_are_ages(age, ref_year):
    assert nz.parse_birth_year(age, ref_year) == ref_year - age
    assert nz.parse_birth_year(f"{age} ans", ref_year) == ref_year - age


@pytest.mark.parametrize(("raw", "year"), [(1985, 1985), ("1985", 1985), ("37", 1984), ("37 ans", 1984),
                                           ("12/03/1985", 1985), (dt.date(1985, 3, 12), 1985),
                                           (31120, 1985), ("12/03/85", 1985)])
def test_birth_year_examples(raw, year):
    assert nz.parse_birth_year(raw, 2021) == year


@pytest.mark.parametrize("raw", ["2035", "500", "jeune", 1850])
def test_birth_year_problems(raw):
    with pytest.raises(nz.ValueProblem):
        nz.parse_birth_year(raw, 2021)


@given(st.integers(0, 120), st.integers(0, 120))
def test_age_bands_give_their_midpoint(a, b):
    lo, hi = min(a, b), max(a, b)
    assert nz.parse_age(f"{lo}-{hi}") == (lo + hi) // 2
    assert nz.parse_age(f"{lo} à {hi} ans") == (lo + hi) // 2


@pytest.mark.parametrize(("raw", "age"), [(34, 34), ("34 ans", 34), ("25-34", 29), ("18 - 25 ans", 21),
                                          ("65+", 70), ("plus de 65 ans", 70), ("<18", 9),
                                          ("moins de 18 ans", 9), ("", None)])
def test_age_examples(raw, age):
    assert nz.parse_age(raw) == age


def test_a_birth_year_in_the_age_column_needs_the_reference_year():
    assert nz.parse_age(1985, ref_year=2020) == 35
    with pytest.raises(nz.ValueProblem):
        nz.parse_age(1985)


# --------------------------------------------------------------------------- census requester and services


@pytest.mark.parametrize(("raw", "requester", "sector", "first_line"), [
    ("Personne", "personne", None, True), ("La personne elle-même", "personne", None, True),
    ("Proche", "proche", None, True), ("Professionnel - santé générale", "professionnel", "sante_generale", False),
    ("Professionnel - Aide sociale générale (CPAS, service social)", "professionnel", "aide_sociale_generale", False),
    ("Professionnel (école)", "professionnel", "enseignement", False),
    ("Professionnel", "professionnel", None, False), ("Médecin généraliste", "professionnel", "sante_generale", False),
    ("Entourage", "proche", None, True), ("", None, None, None),
])
def test_census_requester(raw, requester, sector, first_line):
    assert nz.parse_requester(raw) == nz.Requester(requester, sector, first_line)


def test_unrecognised_requester_is_a_problem():
    with pytest.raises(nz.ValueProblem):
        nz.parse_requester("Martien")


@pytest.mark.parametrize(("raw", "code"), [
    ("SSM le Norois", "NOR"), ("Copie de outil suivi PRR - Norois (2)", "NOR"), ("cge", "CGE"),
    ("Centre de guidance Etterbeek", "CGE"), ("Chapelle aux Champs", "CAC"), ("Smes-B Support", "SMES"),
    ("SSM Le Meridien", "MER"), ("Rézone", "REZ"), ("", None),
])
def test_service_identification(raw, code):
    assert nz.match_service(raw, "prr") == code


def test_unknown_service_is_a_problem():
    with pytest.raises(nz.ValueProblem):
        nz.match_service("Association des amis du jardin", "prr")


@given(st.sampled_from(reference.services()["code"].tolist()))
def test_every_registry_code_identifies_its_service(code):
    assert nz.match_service(code) == code
    assert nz.match_service(code.lower()) == code


def test_months_between():
    assert nz.months_between("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert nz.month_of(dt.date(2021, 9, 30)) == "2021-09"
