"""Keeping the analysed project off the import path when the analyzer runs as ``python -m analyzer``.

``python -m`` puts the current folder first on ``sys.path``, so a project file named like a standard-library
module (``selectors.py`` in a services-and-selectors layout, ``types.py``, ``queue.py``) would replace that module
for the analyzer itself and run the project's code. The analyzer never imports the code it reads, so under
``python -m analyzer`` the current folder is taken off the path before anything else is imported. The console
script and ``python -P`` never put it there.
"""

from __future__ import annotations

import os
import sys

MODULE_NAMES = ("analyzer", "analyzer.__main__")


def _started_as_module() -> bool:
    arguments = list(getattr(sys, "orig_argv", ()))
    return any(
        argument == "-m" and index + 1 < len(arguments) and arguments[index + 1] in MODULE_NAMES
        for index, argument in enumerate(arguments)
    ) or any(argument in {f"-m{name}" for name in MODULE_NAMES} for argument in arguments)


def drop_current_folder() -> None:
    """Remove the current folder that ``python -m analyzer`` put first on the import path."""
    if sys.flags.safe_path or not sys.path or not _started_as_module():
        return
    first = sys.path[0]
    if os.path.abspath(first or os.curdir) == os.path.abspath(os.curdir):
        del sys.path[0]


drop_current_folder()
