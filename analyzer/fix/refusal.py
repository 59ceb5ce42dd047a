"""The one exception of the fix edits: an edit that cannot be made with certainty, and why."""

from __future__ import annotations


class Refused(Exception):
    """The edit cannot be made with certainty; the message says why. The file is left as it is."""
