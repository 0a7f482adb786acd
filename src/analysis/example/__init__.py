"""The synthetic example dataset: a calibrated truth (``truth``), rendered as
messy workbooks (``mess``, ``files``) by ``generate``. Only `prr example` and the
tests use it; the pipeline never imports it.
"""
