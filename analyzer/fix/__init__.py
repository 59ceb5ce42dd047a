"""Automatic fixes: ``--fix`` applies the edits that findings carry, ``--diff`` shows them without writing.

A rule that knows exactly which expression to change and how attaches an ``Edit`` to its finding's ``Fix``:
``targets`` builds edits from astroid nodes at analysis time (and decides which are unsafe), ``write_targets``
those of the write-in-loop rules. At fix time ``plan`` chooses the edits a run may apply and checks each file's
content hash, ``apply`` makes a file's edits in one libcst pass, with one module per kind of change
(``querysets``, ``admin``, ``views``, ``expressions``, ``annotations``, ``prefetches``, ``bulk_writes``;
``arguments`` and ``imports`` are their shared helpers), and ``command`` ties it to the command line. Nothing here
imports libcst until a fix is asked for, except through ``plan`` and ``apply``.
"""

from __future__ import annotations
