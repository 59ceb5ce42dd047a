"""Exit codes exactly as documented: 0 no findings, 1 findings, 2 usage, configuration or internal error, in every
path, through ``main`` and through the real program (``python -m analyzer`` and the console script's function)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import analyzer.cli
from analyzer.cli import main
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import CRASH_RULE, PRINT_RULE, use_rules

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_tree(tmp_path, {"app/views.py": 'print("a")\n', "app/clean.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    use_rules(monkeypatch, PRINT_RULE, CRASH_RULE)
    return tmp_path


def exit_code(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main([*argv, "--no-cache"])
    return code, capsys.readouterr().err


def test_no_findings_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(capsys, "app/clean.py") == (0, "")


def test_findings_exit_1_and_0_with_exit_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(capsys, "app/views.py") == (1, "")
    assert exit_code(capsys, "app/views.py", "--exit-zero") == (0, "")


def test_missing_path_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(capsys, "nowhere") == (2, "django-orm-analyzer: error: path does not exist: nowhere\n")


def test_missing_settings_module_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(capsys, "app/views.py", "--settings", "shop.settings") == (
        2,
        "django-orm-analyzer: error: settings module shop.settings not found\n",
    )


def test_bad_configuration_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.django-orm-analyzer]\njobs = -1\n", encoding="utf-8")

    code, err = exit_code(capsys, "app/clean.py")

    assert (code, err) == (
        2,
        f"django-orm-analyzer: error: {project / 'pyproject.toml'} ([tool.django-orm-analyzer]):"
        " jobs must be a positive integer, got -1\n",
    )


def test_unreadable_baseline_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "baseline.json").write_text("{not json", encoding="utf-8")

    code, err = exit_code(capsys, "app/clean.py", "--baseline", "baseline.json")

    assert code == 2
    assert err.startswith("django-orm-analyzer: error: ")


def test_rule_crash_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app" / "boom.py").write_text("crash_with_bug = 1\n", encoding="utf-8")

    assert main(["app/boom.py", "--no-cache"]) == 2


def test_crash_in_the_analyzer_itself_exits_2_not_1(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_render(*args: object, **kwargs: object) -> str:
        raise KeyError("summary")

    monkeypatch.setattr(analyzer.cli, "render", broken_render)

    assert exit_code(capsys, "app/views.py") == (
        2,
        "django-orm-analyzer: internal error: KeyError: 'summary' (run with -v for the traceback)\n",
    )


def test_interruption_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(analyzer.cli, "analyze", interrupted)

    assert exit_code(capsys, "app/views.py") == (2, "django-orm-analyzer: interrupted\n")


def program(cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def test_console_script_exits_2_on_a_crash_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    crash = (
        "import sys, analyzer.cli\n"
        "def boom(*args, **kwargs):\n"
        "    raise RuntimeError('engine failed')\n"
        "analyzer.cli.analyze = boom\n"
        "sys.argv = ['django-orm-analyzer', '.', '--no-cache']\n"
        "analyzer.cli.entry_point()\n"
    )

    completed = program(tmp_path, crash)

    assert (completed.returncode, completed.stdout) == (2, "")
    assert completed.stderr == (
        "django-orm-analyzer: internal error: RuntimeError: engine failed (run with -v for the traceback)\n"
    )


def test_python_m_analyzer_exit_codes_match_main(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "loop.py").write_text(
        "from django.db import models\n\n\nclass Author(models.Model):\n    def __str__(self):\n        return ''\n\n\n"
        "class Book(models.Model):\n    author = models.ForeignKey(Author, models.CASCADE, related_name='books')\n\n"
        "    def __str__(self):\n        return ''\n\n\n"
        "def names():\n    return [book.author for book in Book.objects.all()]\n",
        encoding="utf-8",
    )

    def code(*argv: str) -> int:
        return subprocess.run(
            [sys.executable, "-m", "analyzer", *argv, "--no-cache"],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        ).returncode

    assert [code("clean.py"), code("loop.py"), code("missing.py"), code("--no-such-flag")] == [0, 1, 2, 2]


def test_output_pipe_closed_by_the_reader_exits_2_without_a_traceback(tmp_path: Path) -> None:
    for number in range(400):
        (tmp_path / f"m{number}.py").write_text("def f(:\n", encoding="utf-8")

    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", ".", "--no-cache"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader goes away before the report is written, as `| head -0` does
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 2
    assert stderr == b""
