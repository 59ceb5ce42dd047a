"""Making names from the analysed project safe to print: file names, template names, messages that quote them.

A file name may hold an escape sequence (which a terminal obeys: colours, cursor moves, a retitled window), a
newline (which forges a report line of its own), Unicode bidirectional controls (which reorder what is shown) or
bytes that are not UTF-8. The text and GitHub formats pass every such character through ``printable``, which
writes it as a visible escape instead: ``\\x1b``, ``\\n``, ``\\u202e``, and ``\\xff`` for an undecodable byte. JSON
and SARIF are safe by their own encoding.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, the line and paragraph separators, the bidirectional embeddings, overrides and
# isolates, and lone surrogates (bytes of a name that is not UTF-8, decoded with surrogateescape).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """The text with every control, bidirectional or undecodable character written as a visible escape."""
    return _UNSAFE.sub(_escape, text)
