"""``python -m analyzer``: the same command line as the ``django-orm-analyzer`` console script."""

from __future__ import annotations

from analyzer.cli import entry_point

entry_point()
