"""Inputs a hostile or unlucky project holds: named pipes and devices called ``x.py``, files that are not Python,
pyproject files that are not UTF-8, a ``selectors.py`` beside the code, and names with control characters.

Each reproduces the input for real (``mkfifo``, a symlink to ``/dev/zero``, raw bytes in file names) and runs the
command line in a subprocess with a timeout where the old behaviour was to hang or to exhaust memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.config import find_config_file, load_config_file
from analyzer.errors import ConfigError
from analyzer.filesystem import FileTooLargeError, NotRegularFileError, read_regular_file

ROOT = Path(__file__).resolve().parents[2]
CLOSING_PREFIXES = ("Project: ", "Found ")


def run_cli(cwd: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m analyzer`` in ``cwd``, with 1 GB of address space at most so that an endless read fails fast."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    return subprocess.run(
        [sys.executable, "-m", "analyzer", *argv, "--no-cache", "--show-fix"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def report_lines(stdout: str) -> list[str]:
    """The findings and errors of the report, without its closing lines (the project footer, its warnings, the timed
    summary and the count of fixable findings), which other tests check exactly."""
    lines = stdout.splitlines()
    closing = next((index for index, line in enumerate(lines) if line.startswith(CLOSING_PREFIXES)), len(lines))
    return lines[:closing]


GOOD_SOURCE = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=10)

    def __str__(self):
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return "book"


def names():
    return [book.author.name for book in Book.objects.all()]
"""
GOOD_FINDING = (
    "app.py:19:13: ORM101 [*] book.author is loaded once per row of Book.objects.all() (line 19); "
    'add .select_related("author") there'
)


def test_named_pipe_called_x_py_is_reported_and_the_run_ends(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(GOOD_SOURCE, encoding="utf-8")
    os.mkfifo(tmp_path / "x.py")

    completed = run_cli(tmp_path, ".", timeout=60)

    assert completed.returncode == 1
    assert report_lines(completed.stdout) == [
        GOOD_FINDING,
        "",
        "Errors (these files were not fully analysed):",
        "x.py: error: skipped: not a regular file (a named pipe)",
        "",
    ]


def test_named_pipe_named_on_the_command_line_is_reported_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.py")

    completed = run_cli(tmp_path, "x.py", timeout=60)

    assert completed.returncode == 0
    assert report_lines(completed.stdout) == [
        "Errors (these files were not fully analysed):",
        "x.py: error: skipped: not a regular file (a named pipe)",
        "",
    ]


def test_symlink_to_dev_zero_is_reported_not_read_until_memory_runs_out(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(GOOD_SOURCE, encoding="utf-8")
    (tmp_path / "zero.py").symlink_to("/dev/zero")

    completed = run_cli(tmp_path, ".", timeout=60)

    assert completed.returncode == 1
    assert report_lines(completed.stdout) == [
        GOOD_FINDING,
        "",
        "Errors (these files were not fully analysed):",
        "zero.py: error: skipped: not a regular file (a character device)",
        "",
    ]


def test_reading_stops_at_the_limit_when_the_size_in_stat_is_wrong() -> None:
    # /proc files are regular files whose stat size is 0 whatever they hold: only the cap while reading stops them.
    status = Path("/proc/self/status")
    assert os.stat(status).st_size == 0

    with pytest.raises(FileTooLargeError) as raised:
        read_regular_file(status, 16)

    assert (raised.value.size, raised.value.limit) == (17, 16)


def test_reading_a_named_pipe_or_a_device_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")

    with pytest.raises(NotRegularFileError) as pipe:
        read_regular_file(tmp_path / "pipe.py", 1024)
    with pytest.raises(NotRegularFileError) as device:
        read_regular_file(Path("/dev/zero"), 1024)

    assert (str(pipe.value), str(device.value)) == (
        "not a regular file (a named pipe)",
        "not a regular file (a character device)",
    )


def test_markdown_file_named_on_the_command_line_is_skipped_not_parsed_as_python(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Title\n\nRun `make test`.\n", encoding="utf-8")
    (tmp_path / "manage").write_text("#!/usr/bin/env python3\nprint('run')\n", encoding="utf-8")

    completed = run_cli(tmp_path, "README.md", "manage", "--select", "ORM101")

    assert completed.returncode == 0
    assert report_lines(completed.stdout) == [
        "Errors (these files were not fully analysed):",
        "README.md: error: skipped: not a Python file (neither a .py name nor a python #! line)",
        "",
    ]
    assert completed.stdout.splitlines()[-1].startswith("Found 0 findings in 1 file ")


def test_selectors_py_in_the_current_folder_is_never_imported_by_python_m_analyzer(tmp_path: Path) -> None:
    marker = tmp_path / "imported.txt"
    (tmp_path / "selectors.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\nimport project_settings_module\n",
        encoding="utf-8",
    )
    (tmp_path / "app.py").write_text(GOOD_SOURCE, encoding="utf-8")

    completed = run_cli(tmp_path, ".", "--jobs", "2")

    assert completed.stderr == ""
    assert completed.returncode == 1
    assert report_lines(completed.stdout) == [GOOD_FINDING, ""]
    assert not marker.exists()


def test_pyproject_that_is_not_utf8_and_does_not_name_the_table_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')
    (tmp_path / "app.py").write_text(GOOD_SOURCE, encoding="utf-8")

    completed = run_cli(tmp_path, ".")

    assert find_config_file(tmp_path) is None
    # The analysis runs; only the look-up of the project's Django version says it could not read the file.
    assert (completed.returncode, completed.stderr) == (
        1,
        f"WARNING: cannot read {tmp_path / 'pyproject.toml'} for the project's Django version: 'utf-8' codec can't "
        "decode byte 0xe9 in position 21: invalid continuation byte\n",
    )
    assert report_lines(completed.stdout) == [GOOD_FINDING, ""]


def test_pyproject_with_the_table_that_is_not_utf8_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(b'[tool.django-orm-analyzer]\nexclude = ["caf\xe9"]\n')
    (tmp_path / "app.py").write_text(GOOD_SOURCE, encoding="utf-8")

    completed = run_cli(tmp_path, ".")

    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        f"django-orm-analyzer: error: {pyproject}: invalid TOML: not UTF-8 (byte 0xe9 at line 2);"
        " TOML files are UTF-8\n"
    )


def test_every_problem_of_a_configuration_table_is_listed_with_its_file(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.django-orm-analyzer]\nselect = ["ORM101", "ORM999"]\njobs = 0\nignore = ["XYZ"]\ncolour = true\n',
        encoding="utf-8",
    )

    with pytest.raises(ConfigError) as raised:
        load_config_file(pyproject)

    source = f"{pyproject} ([tool.django-orm-analyzer])"
    assert str(raised.value).splitlines() == [
        f"{source}: unknown rule code or prefix in select: ORM999",
        f"{source}: jobs must be a positive integer, got 0",
        f"{source}: unknown rule code or prefix in ignore: XYZ",
        f"{source}: unknown key 'colour'",
    ]


def test_every_unknown_code_on_the_command_line_is_listed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(GOOD_SOURCE, encoding="utf-8")

    completed = run_cli(tmp_path, ".", "--select", "ORM101,ORM998", "--ignore", "ORM997")

    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr.splitlines() == [
        "django-orm-analyzer: error: unknown rule code or prefix in select: ORM998",
        "django-orm-analyzer: error: unknown rule code or prefix in ignore: ORM997",
    ]


CONTROL_NAMES = {
    b"esc\x1b[31mred.py": "esc\\x1b[31mred.py",
    b"nl\nforged.py:1:1: ORM999 fake.py": "nl\\nforged.py:1:1: ORM999 fake.py",
    b"bidi\xe2\x80\xaeyp.py": "bidi\\u202eyp.py",
    b"latin\xff.py": "latin\\xff.py",
}


def write_control_names(root: Path) -> None:
    (root / "models.py").write_text(GOOD_SOURCE.split("\n\n\ndef names")[0] + "\n", encoding="utf-8")
    loop = "from models import Book\n\n\ndef names():\n    return [book.author.name for book in Book.objects.all()]\n"
    for name in CONTROL_NAMES:
        with open(os.path.join(os.fsencode(root), name), "wb") as stream:
            stream.write(loop.encode("utf-8"))


def finding_text(shown: str) -> str:
    return (
        f"{shown}:5:13: ORM101 [*] book.author is loaded once per row of Book.objects.all() (line 5); "
        'add .select_related("author") there'
    )


def test_control_characters_in_file_names_are_escaped_in_the_text_report(tmp_path: Path) -> None:
    write_control_names(tmp_path)

    completed = run_cli(tmp_path, ".", "--select", "ORM101")

    assert completed.returncode == 1
    assert report_lines(completed.stdout) == [finding_text(shown) for shown in sorted(CONTROL_NAMES.values())] + [""]
    assert "\x1b" not in completed.stdout and "\u202e" not in completed.stdout


def test_control_characters_in_file_names_are_escaped_in_github_annotations(tmp_path: Path) -> None:
    write_control_names(tmp_path)

    completed = run_cli(tmp_path, ".", "--select", "ORM101", "--format", "github")

    message = 'book.author is loaded once per row of Book.objects.all() (line 5); add .select_related("author") there'
    expected = []
    for shown in sorted(CONTROL_NAMES.values()):
        # A newline is GitHub's own %0A escape; every other control character is a visible backslash escape.
        escaped = shown.replace("\\n", "%0A").replace(":", "%3A").replace(",", "%2C")
        expected.append(
            f"::warning file={escaped},line=5,col=13,endLine=5,endColumn=24,title=ORM101::{message}",
        )
    assert completed.returncode == 1
    assert completed.stdout.splitlines() == expected


def test_named_pipe_among_templates_does_not_block_the_cached_run(tmp_path: Path) -> None:
    (tmp_path / "shop" / "templates").mkdir(parents=True)
    (tmp_path / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "shop" / "views.py").write_text(GOOD_SOURCE, encoding="utf-8")
    (tmp_path / "shop" / "templates" / "list.html").write_text("{{ book }}\n", encoding="utf-8")
    os.mkfifo(tmp_path / "shop" / "templates" / "page.html")

    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "shop", "--show-fix"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )

    assert (completed.returncode, completed.stderr) == (1, "")
    assert report_lines(completed.stdout) == [f"shop/views.{GOOD_FINDING.removeprefix('app.')}", ""]
    assert (tmp_path / ".django-orm-analyzer-cache" / "run").is_dir()
