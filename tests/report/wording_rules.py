"""Wording rules of the statistical chapters: phrasings a reader must never meet, shared by
``test_wording.py`` (the real chapters, rendered from a fake run) and ``tests/test_build.py``
(the example run, where the sentences built in code are real). Not a test module."""

from __future__ import annotations

import re

#: The chapters whose numbers come from the data (file stems under ``chapters/``).
STAT_CHAPTERS = ("07-activites", "08-orientations", "09-saturation", "10-gradient", "10b-methodes")

#: (pattern, why): a match in a rendered statistical chapter is an error.
FORBIDDEN = (
    (r"\bconfirm(e|ent|é|ée|és|ées|ait|aient)\b", "a figure or a test never « confirms » a reading"),
    (r"\bexpliqu(e|ent)\s+(\d|le\b|la\b|les\b)", "« explique 71 % » : an association explains nothing"),
    (r"\baboutiss(ent|e)\b", "« aboutissent vers un service saturé » : saturation is the referrer's perception"),
    (r"\bles besoins\b[^.]{0,80}\bsuiv(ent|ent)\b", "demands registered are not needs"),
    (r"\bprouv(e|ent|é|ée)\b", "data prove nothing"),
    (r"\bdémontr(e|ent)\s+que\b", "« démontre que » : only « non démontré » / « compatible avec »"),
    (r"\bdit si les données\b", "a test does not tell whether data confirm a reading"),
    (r"\bstatistiquement significati", "say what the interval allows, not « significatif »"),
    (r"\bà cause (de|du|des)\b", "no causal wording for associations"),
)


def violations(text: str) -> list[str]:
    """Every forbidden phrasing of ``text`` as ``« match » (why)``."""
    found = []
    for pattern, why in FORBIDDEN:
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            start = max(m.start() - 40, 0)
            found.append(f"« …{text[start:m.end() + 20]}… » ({why})")
    return found
