"""Automatic fixes: ``--fix`` applies the edits that findings carry, ``--diff`` shows them without writing.

A rule that knows exactly which expression to change and how attaches an ``Edit`` to its finding's ``Fix``
(``analyzer.fix.targets`` builds them from astroid nodes at analysis time). ``analyzer.fix.plan`` chooses the
edits a run may apply, ``analyzer.fix.apply`` makes them with libcst, one module per kind of change
(``querysets``, ``admin``, ``expressions``), and ``analyzer.fix.run`` ties that to the command line.
"""

from __future__ import annotations
