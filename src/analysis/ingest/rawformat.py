"""The raw data contract: sheets and columns of the tracking workbook and the census file.

Source: ``shared/spec/tracking-tool.md``. The cleaning reads against it, the
example generator writes it and ``prr template`` builds the blank workbook from
it, so the three cannot drift apart. Coded columns name the reference domain
whose French labels fill the template's drop-down lists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawColumn:
    header: str  # canonical header as printed in the template
    field: str  # clean column it feeds (before normalisation)
    kind: str  # date | year | text | code | int | duration
    domain: str | None = None  # reference domain for drop-downs (kind == "code")
    hint: str | None = None  # what the template adds to the header, in brackets (the unit)

    @property
    def template_header(self) -> str:
        """The header as the blank template prints it: ``Durée (ex. 1h30, 45 min)``.

        The cleaning recognises it as the canonical header followed by a complement.
        """
        return f"{self.header} ({self.hint})" if self.hint else self.header


@dataclass(frozen=True)
class RawSheet:
    name: str
    table: str  # clean table
    columns: tuple[RawColumn, ...]


IDENTIFICATION_SHEET = "Identification"
IDENTIFICATION_FIELDS = ("Service", "Code service")

USERS = RawSheet(
    "Usagers",
    "users",
    (
        RawColumn("Date du premier contact", "first_contact", "date"),
        RawColumn("Genre", "gender", "code", "genders"),
        RawColumn("Année de naissance", "birth_year", "year"),
        RawColumn("Commune de résidence", "commune", "code", "communes"),
        RawColumn("Source principale de revenus", "income_source", "code", "income_sources"),
        RawColumn("Envoyeur", "referrer", "code", "referrers"),
    ),
)

PROS = RawSheet(
    "Professionnels",
    "pros",
    (
        RawColumn("Date du premier contact", "first_contact", "date"),
        RawColumn("Type de service demandeur", "requesting_service", "code", "requesting_services"),
        RawColumn("Région / commune du service", "origin", "code", "communes"),
    ),
)

ACTIVITIES = RawSheet(
    "Activités",
    "activities",
    (
        RawColumn("Date", "date", "date"),
        RawColumn("Type d'activité", "activity_type", "code", "activity_types"),
        RawColumn("Lieu d'intervention", "place", "code", "places"),
        RawColumn("Travailleurs mobilisés", "workers", "int"),
        RawColumn("Usagers présents", "users_present", "int"),
        RawColumn("Professionnels présents", "pros_present", "int"),
        # Bare numbers are read by a rule (analysis.ingest.normalise.parse_duration); the template asks for the unit.
        RawColumn("Durée", "duration", "duration", hint="ex. 1h30, 45 min"),
    ),
)

TRACKING_SHEETS = (USERS, PROS, ACTIVITIES)

CENSUS = RawSheet(
    "Recensement",
    "census",
    (
        RawColumn("Service", "service", "text"),
        RawColumn("Date de la demande", "demand_date", "date"),
        RawColumn("Demandeur", "requester", "text"),
        RawColumn("Âge", "age", "text"),
        RawColumn("Genre", "gender", "code", "genders"),
        RawColumn("Commune", "commune", "code", "communes"),
        RawColumn("Public", "public", "code", "publics"),
        RawColumn("Suivi demandé", "followup_requested", "code", "followups"),
        RawColumn("Issue", "outcome", "code", "census_outcomes"),
        RawColumn("Motif de réorientation", "reorientation_reason", "code", "reorientation_reasons"),
        RawColumn("Service de réorientation saturé", "destination_full", "code", "yes_no_unknown"),
        RawColumn("Date du premier rendez-vous", "first_appointment", "date"),
    ),
)

#: ``Demandeur`` in the census: the person, a relative, or a professional with its
#: sector written after it, e.g. ``Professionnel - santé générale``.
CENSUS_REQUESTER_SEPARATOR = " - "
