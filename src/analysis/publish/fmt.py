"""French number formatting for everything a reader sees: ``10 292``, ``55,7 %``.

Thousands are separated and the percent sign preceded by a no-break space
(U+00A0), as French typography wants, so a number never wraps across lines.
"""

from __future__ import annotations

import math

import pandas as pd

NBSP = "\u00a0"


def _missing(value) -> bool:
    """None, NaN or pandas' ``NA`` (a nullable column's missing value, printed « <NA> » otherwise)."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number the French way: ``1234.5 -> '1 234,5'``; missing -> ``'–'``."""
    if _missing(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NBSP).replace(".", ",")


def fmt_int(value: float | int | None) -> str:
    """Format a count: ``10292 -> '10 292'``."""
    return fmt_number(value, 0)


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """Format a percentage given in percent units: ``55.696 -> '55,7 %'``."""
    if _missing(value):
        return "–"
    return f"{fmt_number(value, decimals)}{NBSP}%"


def fmt_eur(value: float | int | None) -> str:
    """Format an amount in euros: ``1526000 -> '1 526 000 €'``."""
    if _missing(value):
        return "–"
    return f"{fmt_int(value)}{NBSP}€"


MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


#: The usual French abbreviations of the months.
MONTHS_FR_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def fmt_month(month: str, short: bool = False) -> str:
    """``'2021-09' -> 'septembre 2021'`` (``'sept. 2021'`` when short)."""
    year, m = month.split("-")
    name = (MONTHS_FR_SHORT if short else MONTHS_FR)[int(m) - 1]
    return f"{name} {year}"


MINUS = "\u2212"

#: How a share's 95 % interval is computed where persons cluster in services (referrals, census):
#: the words of every caption that shows one.
CLUSTERED_CI_FR = "le plus large de Wilson et de l'intervalle tenant compte du regroupement par service"


def few_services_fr() -> str:
    """Why a share of persons grouped in a few services has no interval (module doc of
    :mod:`analysis.analyses.cluster`)."""
    from analysis.analyses.cluster import MIN_CLUSTERS

    return (f"moins de {MIN_CLUSTERS} services, trop peu pour un intervalle qui tienne compte du regroupement "
            "des personnes par service (il serait peu fiable et redonnerait la taille de chaque service)")


def clustered_ci_fr(lows) -> str:
    """The words of a caption on the 95 % intervals of shares of persons grouped in services, given the
    lower bounds of the table (NaN: no interval): « IC 95 %, … », « sans intervalle de confiance : … »."""
    values = [float(v) for v in lows if v is not None]
    finite = [v for v in values if math.isfinite(v)]
    if values and not finite:
        return f"sans intervalle de confiance : {few_services_fr()}"
    return f"IC 95 %, {CLUSTERED_CI_FR} ; pas d'intervalle pour un groupe de {few_services_fr()}" \
        if len(finite) < len(values) else f"IC 95 %, {CLUSTERED_CI_FR}"


def fmt_share_ci(pct: float, low: float, high: float, decimals: int = 1) -> str:
    """« 44,4 % (22,1 à 66,8) », or « 44,4 % » alone when the share has no interval (NaN bounds)."""
    if math.isnan(low) or math.isnan(high):
        return fmt_pct(pct, decimals)
    return f"{fmt_pct(pct, decimals)} ({fmt_interval(low, high, decimals)})"


def fmt_signed(value: float, decimals: int = 1) -> str:
    """:func:`fmt_number` with a true minus sign (−3,0) for negative values."""
    return fmt_number(value, decimals).replace("-", MINUS)


def fmt_interval(low: float, high: float, decimals: int = 1, suffix: str = "") -> str:
    """``'1,2 à 3,4'``, ``'−3,1 à −0,4'``: the one way the report writes an interval or a range.

    « à » rather than a dash, which would read as a minus sign next to a
    negative bound; the same style everywhere (tables, figures, sentences) is
    checked on the printed PDF by :mod:`analysis.report.check`.
    """
    return f"{fmt_signed(low, decimals)}{suffix}{NBSP}à {fmt_signed(high, decimals)}{suffix}"
