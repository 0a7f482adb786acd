"""Publish: the single boundary between exact results and what a reader sees.

Disclosure control (``disclosure``), French formatting (``fmt``), plain-French
readings of tests (``stats_text``), published tables (``tables``), the figure theme
and export (``figures``), maps (``maps``) and the reader-facing views of each
analysis (``activities``, ``referrals``, …). Every reader-facing file of a run is written
from here. Nothing here imports :mod:`analysis.report`.
"""
