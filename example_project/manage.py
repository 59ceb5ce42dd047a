#!/usr/bin/env python
"""Django's command-line entry point for the bookshop example project."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run an administrative task named on the command line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
