"""Errors a user can act on: one French line, no traceback.

The command line (``prr``) and the pipeline print these messages as they are and
exit with a "user error" status; any other exception is a bug.
"""

from __future__ import annotations


class PrrError(Exception):
    """Base of user-facing errors; ``str(err)`` is a one-line French message."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        """The one-line French message."""
        return str(self)


class InputError(PrrError):
    """An input (folder, file, parameter) cannot be used as given."""


class NoUsableInput(PrrError):
    """The raw folder holds no row that the cleaning could keep."""


class NoDataInPeriod(PrrError):
    """Tracking rows exist, but none falls within the requested period."""


class RenderError(PrrError):
    """The report cannot be rendered as written; the message names the file and the key or path."""
