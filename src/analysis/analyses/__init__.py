"""Analyses: clean tables → exact results (counts, shares, intervals, models).

One module per analysis (``activities``, ``referrals``, ``saturation``,
``gradient``), their shared statistics (``stats``) and the audit of printed figures
(``audit``). Results here are exact and internal; what a reader sees is decided by
:mod:`analysis.publish`. Nothing here imports :mod:`analysis.report`.
"""
