"""prr-report: cleaning, analyses and report of the Brussels PRR mental-health projects."""

__version__ = "0.1.0"
