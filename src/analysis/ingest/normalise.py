"""Small pure functions turning one raw cell into one clean value.

Each parser returns the clean value, ``None`` for an empty cell, or raises
:class:`ValueProblem` (a short ``kind`` code and a French message quoting the raw
value) when the cell cannot be read. Parsers never guess silently: the caller
(:mod:`analysis.ingest.clean`) decides whether a problem sets the row aside or keeps
the row with the value unknown, and records it either way.

Vocabulary (category labels as people type them) lives in
``data/reference/aliases.csv`` (``domain,alias,code,lang``; ``lang`` is ``fr``,
``nl`` or empty for both: Brussels is bilingual and Dutch returns are normal).
A raw label is matched after :func:`fold` (lower case, no accents, punctuation
as spaces), in this order (:func:`match_folded_how`):

1. ``exact``: an alias or a reference label or code of the domain. Aliases of
   both languages are accepted in every sheet; when the same folded text is an
   alias of the two languages for *different* codes, the sheet's language
   (detected from its headers and name, see :mod:`analysis.ingest.clean`) decides.
   (Genders: ``M`` is *masculin* and *man*, H in both languages; ``V``,
   *vrouw*, is F and means nothing in French, so there is no clash today.)
2. a word meaning "unknown" (``NC``, ``onbekend``);
3. ``prefix``: the unique label whose first words are the raw text (``Activité
   communautaire``);
4. ``head``: the longest label the raw text starts with (``Autre : police``);
5. ``abbreviation``: each word of the raw text starts the corresponding word of
   a label, ignoring little words (``initiative perso``, ``perm. élab.``, ``santé
   gén.``), words of three letters or more, one code only;
6. ``typo``: an edit distance (letters inserted, deleted, replaced or swapped)
   of at most 1 for texts of 5 to 7 letters and 2 from 8 letters on
   (``entourge``, ``hopitl``), and only if every label within that distance
   has the same code;
7. ``fuzzy``: difflib ratio ≥ 0.85 with no other code within 0.03 (long labels
   with several slips).

Steps 3 to 7 only use the labels and the aliases of the sheet's language (and
those common to both), need at least four letters, and never pick between two
codes: a text close to two codes raises ``ambiguous``. The cleaning keeps a
note on every row whose value was read by steps 3 to 7 (« interprété comme »).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import reference
from analysis.config import REFERENCE_DIR
from analysis.ingest.readers import memo_cell

ALIASES_FILE = "aliases.csv"
#: difflib ratio above which a misspelt label is accepted (and only if unambiguous).
FUZZY_CUTOFF = 0.85
#: two fuzzy candidates with different codes closer than this are ambiguous.
FUZZY_MARGIN = 0.03
#: shortest raw text matched by prefix or fuzzily (shorter ones must be exact).
MIN_TOLERANT_LENGTH = 4
#: raw values longer than this are cut in French messages (an Excel cell holds up to 32 767 characters).
SHOW_MAX_CHARS = 200
#: Excel's day zero for the 1900 date system (serial 1 = 1900-01-01, with Lotus' 1900 leap bug).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
#: two-digit years: ``yy <= 50`` is 20yy, otherwise 19yy.
TWO_DIGIT_YEAR_PIVOT = 50
#: bare numbers below this are hours (``1,5`` = 90 min), from it on minutes (``90``).
DURATION_HOURS_BELOW = 10
#: bare whole numbers from this up to :data:`DURATION_HOURS_BELOW` are read as hours but
#: ambiguous (``5``: five hours or five minutes?): the cleaning notes them.
DURATION_AMBIGUOUS_FROM = 5
MAX_DURATION_MIN = 24 * 60
MAX_AGE = 120
BRUSSELS_REGION = "bruxelles"
UNKNOWN = "inconnu"


class ValueProblem(ValueError):
    """A raw cell that cannot be read.

    ``kind`` is a short code (``invalid``, ``impossible``, ``negative``,
    ``absurd``, ``unmatched``, ``ambiguous``); ``message`` is French and quotes
    the raw value.
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


# --------------------------------------------------------------------------- text


def fold(text: Any) -> str:
    """Fold a label for matching: lower case, no accents, punctuation as spaces.

    ``"Permanence d'écoute – Élaboration\\n"`` → ``"permanence d ecoute elaboration"``.
    """
    if text is None:
        return ""
    return _fold(str(text))


@lru_cache(maxsize=262144)
def _fold(text: str) -> str:
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    s = re.sub(r"[^0-9a-z]+", " ", s)
    return " ".join(s.split())


def is_blank(value: Any) -> bool:
    """True for ``None``, NaN, NA and strings made only of whitespace."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple)) else False
    except (TypeError, ValueError):
        return False


def show(value: Any) -> str:
    """A raw value as the user typed it, for French messages (« … »)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date):
        value = value.strftime("%d/%m/%Y")
    return f"« {shorten(' '.join(str(value).split()))} »"


def shorten(text: str, limit: int = SHOW_MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters with its full length said, for messages."""
    if len(text) <= limit:
        return text
    length = f"{len(text):,}".replace(",", "\u202f")
    return f"{text[:limit].rstrip()}… ({length} caractères)"


def month_of(date: dt.date) -> str:
    """``date(2021, 10, 4)`` → ``"2021-10"``."""
    return f"{date.year:04d}-{date.month:02d}"


def months_between(start: str, end: str) -> list[str]:
    """Every ``YYYY-MM`` month from ``start`` to ``end`` inclusive."""
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --------------------------------------------------------------------------- vocabularies


@cache
def _aliases(ref_dir: str) -> pd.DataFrame:
    df = pd.read_csv(Path(ref_dir) / ALIASES_FILE, dtype=str, keep_default_na=False)
    if "lang" not in df:
        df["lang"] = ""
    return df.fillna("")  # a row written without its trailing ``lang`` field is for both languages


def aliases(domain: str, ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """Folded alias → code for one domain of ``aliases.csv``."""
    return dict(_domain_aliases(domain, str(ref_dir)))


@cache
def _domain_aliases(domain: str, ref_dir: str) -> tuple[tuple[str, str], ...]:
    df = _aliases(ref_dir)
    sel = df[df["domain"] == domain]
    return tuple((fold(a), c) for a, c in zip(sel["alias"], sel["code"], strict=True) if fold(a))


@cache
def alias_languages(domain: str, ref_dir: str = str(REFERENCE_DIR)) -> dict[str, frozenset[str]]:
    """Folded alias → languages it is written in (``fr``, ``nl``; empty set: both)."""
    df = _aliases(ref_dir)
    sel = df[df["domain"] == domain]
    out: dict[str, set[str]] = {}
    for alias, lang in zip(sel["alias"], sel["lang"], strict=True):
        if fold(alias):
            out.setdefault(fold(alias), set()).update([lang] if lang else [])
    return {k: frozenset(v) for k, v in out.items()}


def alias_rows(domain: str, ref_dir: Path = REFERENCE_DIR) -> list[tuple[str, str, str]]:
    """Every ``(folded alias, code, lang)`` of one domain, in file order; unlike :func:`aliases`,
    an alias listed for two codes (a header of two sheets) keeps both."""
    return _language_aliases(domain, str(ref_dir))


def _language_aliases(domain: str, ref_dir: str) -> list[tuple[str, str, str]]:
    """``(folded alias, code, lang)`` of one domain, in file order."""
    df = _aliases(ref_dir)
    sel = df[df["domain"] == domain]
    return [(fold(a), c, lang) for a, c, lang in zip(sel["alias"], sel["code"], sel["lang"], strict=True) if fold(a)]


@cache
def unknown_words(ref_dir: str = str(REFERENCE_DIR)) -> frozenset[str]:
    """Folded words meaning "unknown" (``NC``, ``ne sait pas``, …)."""
    return frozenset(aliases("unknown", Path(ref_dir)))


@dataclass(frozen=True)
class Vocabulary:
    """Folded key → code for one domain (aliases, labels and codes) as read in one language.

    ``keys`` holds every alias (the language's own ones winning a clash);
    ``tolerant_keys`` only the labels, codes and the aliases of that language or
    common to both, for the tolerant steps (prefix, abbreviation, typo, fuzzy).
    """

    domain: str
    keys: Mapping[str, str]
    has_unknown: bool
    tolerant_keys: Mapping[str, str] | None = None
    lang: str = "fr"

    def match(self, value: Any) -> str | None:
        """Code for a raw label, ``None`` if empty or a word for "unknown"; else raise."""
        return self.match_how(value)[0]

    def match_how(self, value: Any) -> tuple[str | None, str | None]:
        """``(code, how)``: how the label was read (``exact``, ``prefix``, ``head``,
        ``abbreviation``, ``typo``, ``fuzzy``, ``unknown``), ``(None, None)`` if empty; else raise."""
        if is_blank(value):
            return None, None
        folded = fold(value)
        if not folded:
            return None, None
        status, payload, how = _lookup(self.domain, folded, self.lang)
        if status == "ok":
            return payload, how
        raise ValueProblem(status, f"{payload} {show(value)}")


@lru_cache(maxsize=65536)
def _lookup(domain: str, folded: str, lang: str = "fr") -> tuple[str, str | None, str | None]:
    """Cached vocabulary lookup: ``("ok", code, how)`` or ``(problem kind, French message, None)``."""
    vocab = vocabulary(domain, lang=lang)
    if folded in vocab.keys:
        return "ok", vocab.keys[folded], "exact"
    if folded in unknown_words():
        return "ok", (UNKNOWN if vocab.has_unknown else None), "unknown"
    try:
        code, how = match_folded_how(folded, vocab.tolerant_keys or vocab.keys)
    except ValueProblem as exc:
        return exc.kind, exc.message, None
    if code is not None:
        return "ok", code, how
    return "unmatched", "valeur non reconnue", None


#: French name of each tolerant matching step, for notes (« interprété comme … (abréviation) »).
MATCH_HOW_FR = {
    "prefix": "début du libellé",
    "head": "libellé suivi d'un complément",
    "abbreviation": "abréviation",
    "typo": "faute de frappe",
    "fuzzy": "orthographe proche",
}
#: Little words skipped when comparing abbreviations (``perm. d'écoute élab.``).
_LITTLE_WORDS = frozenset({"d", "de", "du", "des", "l", "la", "le", "les", "a", "au", "aux", "et", "en",
                           "van", "het", "een"})
#: Shortest abbreviated word (``perso``, ``gen``, ``elab``).
MIN_ABBREVIATION_WORD = 3


def max_typos(length: int) -> int:
    """Edits tolerated in a text of ``length`` folded characters: 0 up to 4, 1 up to 7, else 2."""
    if length <= MIN_TOLERANT_LENGTH:
        return 0
    return 1 if length <= 7 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, replace, swap two neighbours),
    or ``limit + 1`` as soon as it is certain to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _is_abbreviation(words: list[str], key: str) -> bool:
    target = [w for w in key.split() if w not in _LITTLE_WORDS]
    if not words or len(words) > len(target):
        return False
    shortened = False
    for w, t in zip(words, target, strict=False):
        if not t.startswith(w):
            return False
        if len(w) < len(t):
            if len(w) < MIN_ABBREVIATION_WORD:
                return False
            shortened = True
    return shortened


def match_folded(folded: str, keys: Mapping[str, str]) -> str | None:
    """Tolerant lookup of a folded label; ``None`` if nothing fits, raise if ambiguous
    (see :func:`match_folded_how`)."""
    return match_folded_how(folded, keys)[0]


def match_folded_how(folded: str, keys: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Tolerant lookup of a folded label: ``(code, how)``, ``(None, None)`` if nothing fits.

    Order (the module docstring gives examples): ``exact`` key; ``prefix``: unique
    key starting with the text; ``head``: longest key the text starts with;
    ``abbreviation``; ``typo`` (:func:`max_typos` edits); ``fuzzy``: difflib
    close match (ratio ≥ :data:`FUZZY_CUTOFF`, best candidate ahead of any other
    code by :data:`FUZZY_MARGIN`). Raises ``ambiguous`` when a step finds two codes.
    """
    if folded in keys:
        return keys[folded], "exact"
    if len(folded) < MIN_TOLERANT_LENGTH:
        return None, None
    longer = {c for k, c in keys.items() if k.startswith(folded + " ")}
    if len(longer) == 1:
        return longer.pop(), "prefix"
    if len(longer) > 1:
        raise ValueProblem("ambiguous", f"valeur ambiguë (plusieurs catégories possibles : {', '.join(sorted(longer))})")
    heads = [k for k in keys if len(k) >= MIN_TOLERANT_LENGTH and folded.startswith(k + " ")]
    if heads:
        top = max(len(k) for k in heads)
        codes = {keys[k] for k in heads if len(k) == top}
        if len(codes) == 1:
            return codes.pop(), "head"
    words = [w for w in folded.split() if w not in _LITTLE_WORDS]
    abbreviated = {c for k, c in keys.items() if _is_abbreviation(words, k)}
    if len(abbreviated) == 1:
        return abbreviated.pop(), "abbreviation"
    if len(abbreviated) > 1:
        raise ValueProblem("ambiguous", "valeur ambiguë (abréviation de plusieurs catégories : "
                                        f"{', '.join(sorted(abbreviated))})")
    limit = max_typos(len(folded))
    if limit:
        close = {c for k, c in keys.items() if edit_distance(folded, k, limit) <= limit}
        if len(close) == 1:
            return close.pop(), "typo"
        if len(close) > 1:
            raise ValueProblem("ambiguous", "valeur ambiguë (faute de frappe possible pour plusieurs catégories : "
                                            f"{', '.join(sorted(close))})")
    code = _difflib_match(folded, keys)
    return (code, "fuzzy") if code is not None else (None, None)


def _difflib_match(folded: str, keys: Mapping[str, str]) -> str | None:
    # A key whose length alone bounds the ratio (2·min/sum) below the rival floor can be
    # neither the best match nor a rival: skipping it changes no result and keeps an
    # enormous cell (32 767 characters) from costing seconds per vocabulary.
    floor, n = FUZZY_CUTOFF - FUZZY_MARGIN, len(folded)
    scored = sorted(
        ((difflib.SequenceMatcher(None, folded, k).ratio(), k) for k in keys
         if 2 * min(n, len(k)) >= floor * (n + len(k))),
        key=lambda t: (-t[0], t[1]),
    )
    if not scored or scored[0][0] < FUZZY_CUTOFF:
        return None
    best_ratio, best_key = scored[0]
    rivals = {keys[k] for r, k in scored[1:] if r >= best_ratio - FUZZY_MARGIN and keys[k] != keys[best_key]}
    if rivals:
        raise ValueProblem("ambiguous", "valeur ambiguë (orthographe proche de plusieurs catégories)")
    return keys[best_key]


LANGUAGES = ("fr", "nl")


@cache
def vocabulary(domain: str, ref_dir: str = str(REFERENCE_DIR), lang: str = "fr") -> Vocabulary:
    """The vocabulary of a reference domain read in ``lang``: codes, French labels, then aliases.

    Aliases of the other language come first, then those common to both, then
    those of ``lang``, so that a text that is an alias in both languages for
    different codes means what it means in ``lang``.
    """
    ref = reference.table(domain, Path(ref_dir))
    base: dict[str, str] = {}
    for code in ref["code"]:
        base.setdefault(fold(code), code)
    for code, label in zip(ref["code"], ref["label_fr"], strict=True):
        base[fold(label)] = code
    known = set(ref["code"])
    rows = _language_aliases(domain, ref_dir)
    for alias, code, _ in rows:
        if code not in known:
            raise ValueError(f"aliases.csv: {domain} alias {alias!r} points to unknown code {code!r}")
    rank = {lang: 2, "": 1}
    ordered = sorted(rows, key=lambda r: rank.get(r[2], 0))
    keys = dict(base)
    tolerant = dict(base)
    for alias, code, alias_lang in ordered:
        keys[alias] = code
        if alias_lang in ("", lang):
            tolerant[alias] = code
    return Vocabulary(domain, keys, UNKNOWN in known, tolerant, lang)


def match_code(domain: str, value: Any, lang: str = "fr") -> str | None:
    """Code of ``value`` in a reference domain (see module docstring for the order)."""
    return vocabulary(domain, lang=lang).match(value)


def match_code_how(domain: str, value: Any, lang: str = "fr") -> tuple[str | None, str | None]:
    """``(code, how)`` of ``value`` in a reference domain; ``how`` says which matching step read it."""
    return vocabulary(domain, lang=lang).match_how(value)


def parse_gender(value: Any, lang: str = "fr") -> str | None:
    """``femme``/``F``/``V``/``vrouw`` → F, ``homme``/``H``/``M``/``man`` → H, ``autre``/``X`` → X.

    ``M`` is read as *masculin* in French and *man* in Dutch: H either way. ``V``
    (*vrouw*) is Dutch only (F). A clash between languages would be decided by
    ``lang``, the sheet's language.
    """
    return match_code("genders", value, lang)


def parse_yes_no(value: Any) -> str | None:
    """``oui``/``non``/``inconnu`` (also ``O``, ``N``, ``ne sait pas``)."""
    return match_code("yes_no_unknown", value)


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "januari": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "febr": 2, "februari": 2, "february": 2,
    "mars": 3, "mar": 3, "maart": 3, "mrt": 3, "march": 3,
    "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "mei": 5, "may": 5,
    "juin": 6, "jun": 6, "juni": 6, "june": 6,
    "juillet": 7, "juil": 7, "jul": 7, "juli": 7, "july": 7,
    "aout": 8, "aou": 8, "aug": 8, "augustus": 8, "august": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "oktober": 10, "okt": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}
_WEEKDAYS = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
             "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$")
_YMD = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DMY = re.compile(rf"^(\d{{1,2}})\s*[/.\-]\s*(\d{{1,2}})\s*[/.\-]\s*(\d{{4}}|\d{{2}}){_TIME}$")
_MY = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YM = re.compile(r"^(\d{4})[/.\-](\d{1,2})$")
_SERIAL = re.compile(r"^\d{1,7}(?:[.,]\d+)?$")
_TEXT_DATE = re.compile(r"^(?:(\d{1,2})(?: ?(?:er|ste|de|e))? )?([a-z]+) (\d{4}|\d{2})$")


def expand_year(year: int) -> int:
    """Two-digit years: ``<= 50`` → 20yy, else 19yy; four-digit years unchanged."""
    if year >= 100:
        return year
    return 2000 + year if year <= TWO_DIGIT_YEAR_PIVOT else 1900 + year


def _make_date(y: int, m: int, d: int, raw: Any) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ValueProblem("impossible", f"date impossible {show(raw)}") from None


def excel_serial_to_date(serial: float) -> dt.date:
    """Excel serial number (1900 system) → date; the time of day is dropped."""
    if not (1 <= serial <= EXCEL_MAX_SERIAL):
        raise ValueProblem("invalid", f"nombre hors des dates Excel {show(serial)}")
    return (EXCEL_EPOCH + dt.timedelta(days=math.floor(serial))).date()


@memo_cell
def parse_date(value: Any) -> dt.date | None:
    """Read a date as typed in a spreadsheet.

    Accepted: date/datetime cells; Excel serial numbers (``44473`` = 2021-10-04);
    ``dd/mm/yyyy``, ``dd-mm-yy``, ``dd.mm.yyyy`` (always day first, Belgian
    usage); ``2021-10-04``; ``4 octobre 2021``, ``3 maart 2022``, ``dinsdag 5
    oktober 2021``; and month-only forms (``oct. 2021``, ``okt. 2021``, ``mei
    2022``, ``10/2021``, ``2021-10``), read as the first of the month; month
    names in French, Dutch or English. A month without a year (``mei``) is not a
    date (``invalid``): the year would be a guess. Impossible dates (``31/02/2022``) raise ``impossible``; anything else
    unreadable raises ``invalid``.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem("invalid", f"date illisible {show(value)}")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return excel_serial_to_date(float(value))
    if not isinstance(value, str):
        raise ValueProblem("invalid", f"date illisible {show(value)}")
    s = value.strip()
    if _SERIAL.match(s):
        return excel_serial_to_date(float(s.replace(",", ".")))
    if m := _ISO.match(s):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _YMD.match(s):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), value)
    if m := _DMY.match(s):
        return _make_date(expand_year(int(m[3])), int(m[2]), int(m[1]), value)
    if m := _MY.match(s):
        return _make_date(int(m[2]), int(m[1]), 1, value)
    if m := _YM.match(s):
        return _make_date(int(m[1]), int(m[2]), 1, value)
    words = [w for w in fold(s).split() if w not in _WEEKDAYS and w not in ("le", "du", "de", "op", "van")]
    if m := _TEXT_DATE.match(" ".join(words)):
        month = _MONTHS.get(m[2])
        if month is not None:
            day = int(m[1]) if m[1] else 1
            return _make_date(expand_year(int(m[3])), month, day, value)
    raise ValueProblem("invalid", f"date illisible {show(value)}")


# --------------------------------------------------------------------------- numbers

_APPROX_BEFORE = r"(?:env(?:iron)?\.?|approx(?:\.|imativement)?|plus ou moins|ca\.?|circa|ongeveer|ong\.|~|±|\+/-|\+-)"
_COUNT = re.compile(rf"^({_APPROX_BEFORE})?\s*(-?\s*\d+(?:[.,]\d+)?)\s*([^\d]*)$", re.IGNORECASE)
#: Words after a number that make it approximate (``5 environ``, ``5 ?``).
_APPROX_AFTER = re.compile(r"(?:^|\s)(?:env(?:iron)?|approx|ongeveer|ca)\b|\?", re.IGNORECASE)
_ZERO_WORDS = {"aucun", "aucune", "neant", "zero", "personne", "nul", "nihil"}


@memo_cell
def parse_count(value: Any, maximum: int | None = None) -> int | None:
    """A head count: ``3``, ``"3 "``, ``"5 pers."``, ``"2,0"``; ``aucun`` → 0; empty → None.

    Raises ``invalid`` for text or a non-whole number (``2,5``), ``negative``
    below zero, ``absurd`` above ``maximum``. Whether an empty cell means 0 is the
    caller's decision (see :func:`analysis.ingest.clean.activity_counts`).
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem("invalid", f"nombre illisible {show(value)}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        s = value.replace("\u00a0", " ").strip()
        if fold(s) in _ZERO_WORDS:
            return 0
        if not fold(s) and not any(ch.isdigit() for ch in s):
            return None
        m = _COUNT.match(s)
        if not m or any(ch.isdigit() for ch in m[3]):
            raise ValueProblem("invalid", f"nombre illisible {show(value)}")
        number = float(m[2].replace(" ", "").replace(",", "."))
    else:
        raise ValueProblem("invalid", f"nombre illisible {show(value)}")
    if math.isnan(number) or math.isinf(number):
        raise ValueProblem("invalid", f"nombre illisible {show(value)}")
    if abs(number - round(number)) > 1e-9:
        raise ValueProblem("invalid", f"nombre non entier {show(value)}")
    count = int(round(number))
    if count < 0:
        raise ValueProblem("negative", f"nombre négatif {show(value)}")
    if maximum is not None and count > maximum:
        raise ValueProblem("absurd", f"nombre invraisemblable {show(value)} (maximum {maximum})")
    return count


@memo_cell
def is_approximate_count(value: Any) -> bool:
    """True for a head count typed as an approximation: ``±5``, ``env. 10``, ``~3``,
    ``environ 4``, ``ca. 6``, ``ongeveer 8``, ``5 environ``, ``5 ?``. ``5 pers.`` is exact."""
    if not isinstance(value, str):
        return False
    m = _COUNT.match(value.replace("\u00a0", " ").strip())
    return bool(m) and (bool(m[1]) or bool(_APPROX_AFTER.search(m[3])))


_HM = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_HOURS = re.compile(r"^(\d+(?:\.\d+)?)(?:h|hr|hrs|heure|heures|u|uur|uren)"
                    r"(?:(\d{1,2})(?:m|mn|min|mins|minute|minutes|minuten|')?)?$")
_MINUTES = re.compile(r"^(\d+(?:\.\d+)?)(?:m|mn|min|mins|minute|minutes|minuten|')$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def _bare_number_minutes(number: float) -> float:
    return number * 60 if number < DURATION_HOURS_BELOW else number


@memo_cell
def duration_ambiguity(value: Any) -> str | None:
    """French note for a bare number whose unit is a guess (see :func:`parse_duration`), else None.

    A bare whole number from :data:`DURATION_AMBIGUOUS_FROM` (5) to 9 is read as
    hours, but could be minutes; ``1``–``4`` (one to four hours; nobody records a
    two-minute activity), fractions below 10 (``1,5`` = 1 h 30) and numbers from
    10 on (minutes) are not ambiguous.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        s = re.sub(r"\s+", "", value.replace("\u00a0", " ")).replace(",", ".").rstrip(".")
        if not _NUMBER.match(s):
            return None
        number = float(s)
    elif isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        number = float(value)
    else:
        return None
    if number.is_integer() and DURATION_AMBIGUOUS_FROM <= number < DURATION_HOURS_BELOW:
        n = int(number)
        return (f"durée sans unité {show(value)} lue comme {n} heures ({n * 60} min) ; "
                f"écrire « {n} min » s'il s'agit de minutes")
    return None


@memo_cell
def parse_duration(value: Any) -> float | None:
    """A duration in minutes: ``90``, ``"1h30"``, ``"01:30"``, ``"1,5"``, ``"2h"``, ``"45 min"``;
    Dutch units too (``"1u30"``, ``"2 uur"``, ``"45 minuten"``).

    Unit rule for a bare number (no ``h``, ``min``, ``:``), whatever the header
    says: below :data:`DURATION_HOURS_BELOW` (10) it is hours (``1,5`` → 90,
    ``2`` → 120, ``6`` → 360), from 10 on minutes (``90``, ``45``, ``15``);
    nobody records a 10-hour activity as ``10``. Whole numbers from 5 to 9 are
    the ambiguous band (five hours, or a five-minute call?): read as hours, and
    the cleaning notes each one (:func:`duration_ambiguity`). The template's
    header asks for the unit (« Durée (ex. 1h30, 45 min) »). Time cells
    (``01:30``) are hours and minutes. Raises ``invalid``, ``negative``, or
    ``absurd`` beyond 24 hours.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem("invalid", f"durée illisible {show(value)}")
    if isinstance(value, dt.timedelta):
        minutes = value.total_seconds() / 60
    elif isinstance(value, dt.time):
        minutes = value.hour * 60 + value.minute + value.second / 60
    elif isinstance(value, dt.datetime):
        if value >= dt.datetime(1900, 1, 2):
            raise ValueProblem("invalid", f"une date n'est pas une durée {show(value)}")
        minutes = (value - EXCEL_EPOCH).total_seconds() / 60
    elif isinstance(value, (int, float)):
        if math.isnan(value) or math.isinf(value):
            raise ValueProblem("invalid", f"durée illisible {show(value)}")
        if value < 0:
            raise ValueProblem("negative", f"durée négative {show(value)}")
        minutes = _bare_number_minutes(float(value))
    elif isinstance(value, str):
        s = re.sub(r"\s+", "", value.lower().replace("\u00a0", " ")).replace(",", ".")
        s = s.rstrip(".")
        if s.startswith("-"):
            raise ValueProblem("negative", f"durée négative {show(value)}")
        if _NUMBER.match(s):
            minutes = _bare_number_minutes(float(s))
        elif m := _HM.match(s):
            minutes = int(m[1]) * 60 + int(m[2]) + (int(m[3]) / 60 if m[3] else 0)
        elif m := _HOURS.match(s):
            minutes = float(m[1]) * 60 + (int(m[2]) if m[2] else 0)
        elif m := _MINUTES.match(s):
            minutes = float(m[1])
        else:
            raise ValueProblem("invalid", f"durée illisible {show(value)}")
    else:
        raise ValueProblem("invalid", f"durée illisible {show(value)}")
    if minutes < 0:
        raise ValueProblem("negative", f"durée négative {show(value)}")
    if minutes > MAX_DURATION_MIN:
        raise ValueProblem("absurd", f"durée invraisemblable {show(value)} (plus de 24 h)")
    return round(float(minutes), 4)


# --------------------------------------------------------------------------- ages

_AGE_WORDS = re.compile(r"^(\d{1,3}) ?(?:ans?|a|jaar)$")
_YEAR_IN_TEXT = re.compile(r"\b(19\d{2}|20\d{2})\b")


def parse_birth_year(value: Any, ref_year: int) -> int | None:
    """Birth year from a year, a full birth date, or an age at ``ref_year``.

    Rule to tell an age from a year: a whole number from 1900 to ``ref_year`` is
    a year; from 0 to 120 an age (so ``85`` is an age, never 1985), giving
    ``ref_year - age``; a larger number is an Excel date serial. ``37 ans`` is an
    age. Full dates (``12/03/1985``, date cells) give their year; two-digit years
    in dates after ``ref_year`` are moved back a century. Raises ``invalid``
    otherwise or when the result is not within 120 years before ``ref_year``.
    """
    if is_blank(value):
        return None
    year: int | None = None
    if isinstance(value, bool):
        raise ValueProblem("invalid", f"année de naissance illisible {show(value)}")
    if isinstance(value, (dt.date, dt.datetime)):
        year = value.year
    elif isinstance(value, (int, float)):
        year = _year_from_number(float(value), ref_year, value)
    elif isinstance(value, str):
        s = value.strip().replace(",", ".")
        folded = fold(s)
        if m := _AGE_WORDS.match(folded):
            year = ref_year - int(m[1])
        elif re.fullmatch(r"\d+(?:\.0+)?", s):
            year = _year_from_number(float(s), ref_year, value)
        else:
            try:
                date = parse_date(s)
            except ValueProblem:
                date = None
            if date is not None:
                year = date.year
            elif m := _YEAR_IN_TEXT.search(s):
                year = int(m[1])
    if year is None:
        raise ValueProblem("invalid", f"année de naissance illisible {show(value)}")
    if year > ref_year and year - 100 >= ref_year - MAX_AGE:
        year -= 100
    if not (ref_year - MAX_AGE <= year <= ref_year):
        raise ValueProblem("absurd", f"année de naissance invraisemblable {show(value)}")
    return year


def _year_from_number(number: float, ref_year: int, raw: Any) -> int:
    if not number.is_integer():
        raise ValueProblem("invalid", f"année de naissance illisible {show(raw)}")
    n = int(number)
    if 1900 <= n <= ref_year:
        return n
    if 0 <= n <= MAX_AGE:
        return ref_year - n
    if n > 3000:
        return excel_serial_to_date(n).year
    raise ValueProblem("absurd", f"année de naissance invraisemblable {show(raw)}")


_BAND = re.compile(r"^(?:de )?(\d{1,3}) ?(?:a|-|–|/) ?(\d{1,3})(?: ans?)?$")
_OPEN_UP = re.compile(r"^(?:plus de |\+ ?|> ?|>= ?)(\d{1,3})(?: ans?)?$|^(\d{1,3}) ?(?:\+|ans? et plus|et plus|ans? et \+)$")
_OPEN_DOWN = re.compile(r"^(?:moins de |< ?|<= ?|- ?)(\d{1,3})(?: ans?)?$")
#: width assumed above an open upper band (``65+`` → 70).
OPEN_BAND_WIDTH = 10


def parse_age(value: Any, ref_year: int | None = None) -> int | None:
    """Age in years from an age, an age band or (if ``ref_year``) a birth year.

    Bands give their midpoint rounded down (``18-25`` → 21, ``25 à 34 ans`` →
    29); an open upper band ``65+`` / ``plus de 65 ans`` gives 65 + 5 (bands
    assumed ten years wide); an open lower band ``< 18`` / ``moins de 18 ans``
    gives half its bound (9). A whole number from 1900 to ``ref_year`` is a birth
    year. Raises ``invalid`` / ``absurd`` otherwise.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem("invalid", f"âge illisible {show(value)}")
    if isinstance(value, (int, float)):
        if math.isnan(value) or not float(value).is_integer():
            if not math.isnan(value) and 0 <= value <= MAX_AGE:
                return int(value)
            raise ValueProblem("invalid", f"âge illisible {show(value)}")
        return _age_from_number(int(value), ref_year, value)
    if not isinstance(value, str):
        raise ValueProblem("invalid", f"âge illisible {show(value)}")
    raw = value.strip().replace("–", "-")
    s = " ".join(re.sub(r"[^0-9a-z+<>=\-/ ]", " ", fold_keep_symbols(raw)).split())
    if m := re.fullmatch(r"(\d{1,4})(?: ?(?:ans?|a))?", s):
        return _age_from_number(int(m[1]), ref_year, value)
    if m := _BAND.match(s):
        lo, hi = int(m[1]), int(m[2])
        if lo > hi or hi > MAX_AGE:
            raise ValueProblem("invalid", f"tranche d'âge illisible {show(value)}")
        return (lo + hi) // 2
    if m := _OPEN_UP.match(s):
        lo = int(m[1] or m[2])
        if lo > MAX_AGE:
            raise ValueProblem("absurd", f"âge invraisemblable {show(value)}")
        return min(lo + OPEN_BAND_WIDTH // 2, MAX_AGE)
    if m := _OPEN_DOWN.match(s):
        hi = int(m[1])
        if hi > MAX_AGE:
            raise ValueProblem("absurd", f"âge invraisemblable {show(value)}")
        return hi // 2
    raise ValueProblem("invalid", f"âge illisible {show(value)}")


def fold_keep_symbols(text: str) -> str:
    """Lower case without accents, keeping ``+ < > = -`` (for age bands)."""
    s = unicodedata.normalize("NFKD", text)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def _age_from_number(n: int, ref_year: int | None, raw: Any) -> int:
    if 0 <= n <= MAX_AGE:
        return n
    if ref_year is not None and ref_year - MAX_AGE <= n <= ref_year:
        return ref_year - n
    raise ValueProblem("absurd", f"âge invraisemblable {show(raw)}")


# --------------------------------------------------------------------------- places


@dataclass(frozen=True)
class Place:
    """Where a person lives or a requesting service sits.

    ``region`` is a code of ``regions.csv`` (``bruxelles``, ``wallonie``,
    ``flandre``, ``hors_bruxelles``, ``inconnu``); ``nis`` the commune's NIS
    code when in Brussels and known; ``basin`` the care basin when it can be
    told (see :func:`parse_commune`).
    """

    nis: str | None
    region: str
    basin: str | None = None

    @property
    def residence(self) -> str:
        """``bruxelles``, ``hors_bruxelles`` or ``inconnu`` (users' and census' residence)."""
        if self.region in (BRUSSELS_REGION, UNKNOWN):
            return self.region
        return "hors_bruxelles"


UNKNOWN_PLACE = Place(None, UNKNOWN, None)


def _fold_place(text: Any) -> str:
    words = fold(text).split()
    expand = {"st": "saint", "ste": "sainte", "sts": "saints"}
    return " ".join(expand.get(w, w) for w in words)


@dataclass(frozen=True)
class _PlaceBook:
    keys: Mapping[str, str]  # folded name -> "nis:21004" | "postal:1020" | "region:wallonie"
    postal: Mapping[str, str]  # postal code -> NIS code (Brussels)
    basin_of_nis: Mapping[str, str]
    basin_of_postal: Mapping[str, str]


@cache
def _place_book(ref_dir: str = str(REFERENCE_DIR)) -> _PlaceBook:
    communes = reference.communes(Path(ref_dir))
    keys: dict[str, str] = {}
    postal: dict[str, str] = {}
    for row in communes.itertuples():
        keys[_fold_place(row.name_fr)] = f"nis:{row.nis_code}"
        keys[_fold_place(row.name_nl)] = f"nis:{row.nis_code}"
        keys[row.nis_code] = f"nis:{row.nis_code}"
        for code in str(row.postal_codes).split(";"):
            if code.strip():
                postal[code.strip()] = row.nis_code
    nis_codes = set(communes["nis_code"])
    for alias, code in aliases("communes", Path(ref_dir)).items():
        if code in nis_codes:
            keys[_fold_place(alias)] = f"nis:{code}"
        elif code in postal:
            keys[_fold_place(alias)] = f"postal:{code}"
        else:
            raise ValueError(f"aliases.csv: commune alias {alias!r} points to {code!r}, neither NIS nor postal code")
    region_codes = set(reference.codes("regions", Path(ref_dir)))
    for code, label in reference.labels("regions", Path(ref_dir)).items():
        keys.setdefault(_fold_place(label), f"region:{code}")
    for alias, code in aliases("regions", Path(ref_dir)).items():
        if code not in region_codes:
            raise ValueError(f"aliases.csv: region alias {alias!r} points to unknown code {code!r}")
        keys[_fold_place(alias)] = f"region:{code}"
    basin_of_nis = {n: b for n, b in zip(communes["nis_code"], communes["basin"], strict=True) if b}
    basin_of_postal = {_digits(p): b for p, b in aliases("postal_basins", Path(ref_dir)).items()}
    return _PlaceBook(keys, postal, basin_of_nis, basin_of_postal)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def region_of_postal_code(code: int) -> str:
    """Belgian region of a postal code: 1000–1299 Brussels, 1300–1499 and 4000–7999
    Wallonia, 1500–3999 and 8000–9999 Flanders (bpost ranges)."""
    if 1000 <= code <= 1299:
        return BRUSSELS_REGION
    if 1300 <= code <= 1499 or 4000 <= code <= 7999:
        return "wallonie"
    if 1500 <= code <= 3999 or 8000 <= code <= 9999:
        return "flandre"
    return UNKNOWN


def _place_from_postal(code: str, book: _PlaceBook, raw: Any) -> Place:
    if code in book.postal:
        nis = book.postal[code]
        basin = book.basin_of_postal.get(code) or book.basin_of_nis.get(nis)
        return Place(nis, BRUSSELS_REGION, basin)
    region = region_of_postal_code(int(code))
    if region == UNKNOWN:
        raise ValueProblem("unmatched", f"code postal inconnu {show(raw)}")
    return Place(None, region, None)


def parse_commune(value: Any) -> Place:
    """Commune of residence (or of a requesting service) → :class:`Place`.

    Accepts French and Dutch names, NIS codes, postal codes (alone or with a
    name: ``1050 Ixelles``; the postal code wins), misspellings (``Scharbeek``,
    ``St-Gilles``, ``Woluwé St Lambert``: ``St``/``Ste`` are expanded, then
    aliases, then a fuzzy match), neighbourhoods of Bruxelles-Ville (``Laeken``,
    ``Neder-over-Heembeek``, ``Haren``), regions and a few towns outside Brussels
    (``Wallonie``, ``Flandre``, ``Namur``, ``Hors Bruxelles``).

    Data decisions: postal codes 1020, 1120 and 1130 (Laeken, Neder-over-Heembeek,
    Haren) are Bruxelles-Ville (21004) in the Nord basin and 1000 (Pentagone) in
    Centre-Ouest; Bruxelles-Ville named without a postal code or neighbourhood has
    no basin (the commune is split between basins). A bare ``1040`` is Etterbeek
    and ``1050`` Ixelles, although both codes also cover streets of
    Bruxelles-Ville: an assumption. A Brussels postal code missing from
    ``communes.csv`` gives region ``bruxelles`` without a commune. Empty or
    "unknown" → region ``inconnu``; unrecognised text raises ``unmatched``.
    """
    if is_blank(value):
        return UNKNOWN_PLACE
    if isinstance(value, str):
        result = _parse_commune_text(value)
        if isinstance(result, Place):
            return result
        raise ValueProblem(*result)
    return _parse_commune(value)


@lru_cache(maxsize=65536)
def _parse_commune_text(text: str) -> Place | tuple[str, str]:
    try:
        return _parse_commune(text)
    except ValueProblem as exc:
        return exc.kind, exc.message


def _parse_commune(value: Any) -> Place:
    book = _place_book()
    if isinstance(value, bool):
        raise ValueProblem("unmatched", f"commune non reconnue {show(value)}")
    if isinstance(value, (int, float)):
        if math.isnan(value) or not float(value).is_integer():
            raise ValueProblem("unmatched", f"commune non reconnue {show(value)}")
        value = str(int(value))
    text = str(value)
    if m := re.search(r"(?<!\d)(\d{4,5})(?!\d)", text.replace("B-", " ").replace("b-", " ")):
        digits = m[1]
        if len(digits) == 5:
            if f"nis:{digits}" in book.keys.values() and digits in book.keys:
                nis = digits
                return Place(nis, BRUSSELS_REGION, book.basin_of_nis.get(nis))
            raise ValueProblem("unmatched", f"code INS inconnu {show(value)}")
        return _place_from_postal(digits, book, value)
    folded = _fold_place(text)
    if not folded:
        return UNKNOWN_PLACE
    try:
        target = match_folded(folded, book.keys)
    except ValueProblem as exc:
        raise ValueProblem(exc.kind, f"commune ambiguë {show(value)}") from None
    if target is None:
        if fold(text) in unknown_words():
            return UNKNOWN_PLACE
        raise ValueProblem("unmatched", f"commune non reconnue {show(value)}")
    kind, code = target.split(":", 1)
    if kind == "nis":
        return Place(code, BRUSSELS_REGION, book.basin_of_nis.get(code))
    if kind == "postal":
        return _place_from_postal(code, book, value)
    return Place(None, code, None)


def commune_choices() -> list[str]:
    """Drop-down values for a commune of residence: the 19 French names, Hors Bruxelles, Inconnu."""
    names = reference.communes().sort_values("name_fr")["name_fr"].tolist()
    labels = reference.labels("regions")
    return [*names, "Hors Bruxelles", labels[UNKNOWN]]


def origin_choices() -> list[str]:
    """Drop-down values for a requesting service's place: 19 communes, Wallonie, Flandre, Inconnu."""
    names = reference.communes().sort_values("name_fr")["name_fr"].tolist()
    labels = reference.labels("regions")
    return [*names, labels["wallonie"], labels["flandre"], labels[UNKNOWN]]


# --------------------------------------------------------------------------- census requester


@dataclass(frozen=True)
class Requester:
    """Who made a census demand: ``requester`` code, the professional's sector, first line."""

    requester: str | None
    sector: str | None
    first_line: bool | None


_REQUESTER_SPLIT = re.compile(r"\s+[-–—:/]\s+|\s*[(:]\s*|\s*[)]\s*$")


@cache
def _first_line_of() -> dict[str, bool | None]:
    ref = reference.table("census_requesters")
    return {c: (None if pd.isna(f) else bool(f)) for c, f in zip(ref["code"], ref["first_line"], strict=True)}


@cache
def referrer_first_line() -> dict[str, bool | None]:
    """Referrer code → whether the demand is first-line (person or relative); None if unknown."""
    ref = reference.table("referrers")
    return {c: (None if pd.isna(f) else bool(f)) for c, f in zip(ref["code"], ref["first_line"], strict=True)}


def parse_requester(value: Any) -> Requester:
    """Census ``Demandeur`` → requester (personne / proche / professionnel), sector, first line.

    ``Professionnel - santé générale`` gives the professional and its sector
    (codes of ``referrers.csv``); a sector alone (``Médecin généraliste``) means
    a professional of that sector; ``Initiative personnelle`` / ``Entourage``
    mean the person / a relative. Empty → all None; unrecognised raises.
    """
    if is_blank(value):
        return Requester(None, None, None)
    text = str(value).strip()
    parts = [p for p in _REQUESTER_SPLIT.split(text, maxsplit=1) if p and p.strip()]
    head = parts[0]
    rest = parts[1] if len(parts) > 1 else None
    requesters = vocabulary("census_requesters")
    try:
        code = match_folded(fold(head), requesters.keys) if fold(head) else None
    except ValueProblem:
        code = None
    if code is None:
        try:
            code = match_folded(fold(text), requesters.keys)
        except ValueProblem:
            code = None
        if code is not None:
            rest = None
    first_line = _first_line_of()
    if code is not None:
        sector = None
        if code == "professionnel" and rest:
            try:
                sector = match_code("referrers", rest)
            except ValueProblem:
                raise ValueProblem("unmatched", f"secteur du professionnel non reconnu {show(value)}") from None
        return Requester(code, sector, first_line[code])
    try:
        referrer = match_code("referrers", text)
    except ValueProblem:
        raise ValueProblem("unmatched", f"demandeur non reconnu {show(value)}") from None
    if referrer is None or referrer == UNKNOWN:
        return Requester(None, None, None)
    if referrer == "initiative_personnelle":
        return Requester("personne", None, first_line["personne"])
    if referrer == "entourage":
        return Requester("proche", None, first_line["proche"])
    return Requester("professionnel", referrer, first_line["professionnel"])


# --------------------------------------------------------------------------- services


@cache
def _service_keys(instrument: str | None, ref_dir: str = str(REFERENCE_DIR)) -> dict[str, str]:
    s = reference.services(Path(ref_dir))
    if instrument is not None:
        s = s[s["instrument"] == instrument]
    keys: dict[str, str] = {}
    for row in s.itertuples():
        keys[fold(row.code)] = row.code
        keys[fold(row.name)] = row.code
        for alias in str(row.aliases).split(";"):
            if fold(alias):
                keys.setdefault(fold(alias), row.code)
    return keys


def match_service(value: Any, instrument: str | None = None) -> str | None:
    """Registry code of a service written as its code, name or an alias.

    Exact (folded) code, name or alias first, then a known name contained in
    the text as whole words (longest wins: ``Copie de outil suivi PRR - Norois
    (2)`` → NOR), then a fuzzy match. ``instrument`` restricts to ``prr`` or
    ``census`` services. ``None`` if empty; raises ``unmatched`` otherwise.
    """
    if is_blank(value):
        return None
    keys = _service_keys(instrument)
    folded = fold(value)
    if not folded:
        return None
    if folded in keys:
        return keys[folded]
    padded = f" {folded} "
    inside = [k for k in keys if len(k) >= 3 and f" {k} " in padded]
    if inside:
        top = max(len(k) for k in inside)
        codes = {keys[k] for k in inside if len(k) == top}
        if len(codes) == 1:
            return codes.pop()
    try:
        code = match_folded(folded, keys)
    except ValueProblem:
        code = None
    if code is None:
        raise ValueProblem("unmatched", f"service non reconnu {show(value)}")
    return code
