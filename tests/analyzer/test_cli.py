"""The command line: exit codes, flags, the text format and the errors users see."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import CRASH_RULE, INPUT_RULE, PRINT_RULE, use_rules

SUMMARY = re.compile(r"^Found (\d+) findings? in (\d+) files? \(\d+\.\d\ds\)(, \d+ errors?)?\.$")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small tree with two print() calls and one input() call, the current directory for the test."""
    write_tree(
        tmp_path,
        {
            "app/views.py": """
                def show():
                    print("a")
                    value = input("b")
                    print(value, 2)
            """,
            "app/clean.py": "x = 1\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    use_rules(monkeypatch)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_format_lists_findings_with_paths_relative_to_cwd_then_a_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, ".")

    lines = out.splitlines()
    assert code == 1
    assert lines[:2] == [
        "app/views.py:2:5: ORM801 print() called with 1 argument(s)",
        "app/views.py:4:5: ORM801 print() called with 2 argument(s)",
    ]
    assert lines[2] == ""
    assert SUMMARY.match(lines[3])
    assert SUMMARY.match(lines[3]).groups()[:2] == ("2", "3")  # type: ignore[union-attr]
    assert lines[4] == "Run with --show-fix to print each finding's fix (--format full)."
    assert len(lines) == 5
    assert err == ""


@pytest.mark.parametrize("flags", [["--show-fix"], ["--format", "full"]])
def test_show_fix_and_full_format_print_whole_messages(
    project: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    code, out, err = run(capsys, *flags, ".")

    lines = out.splitlines()
    assert code == 1
    assert lines[:3] == [
        "app/views.py:2:5: ORM801 print() called with 1 argument(s); use logging",
        "app/views.py:4:5: ORM801 print() called with 2 argument(s); use logging",
        "",
    ]
    assert SUMMARY.match(lines[3])
    assert len(lines) == 4
    assert err == ""


def test_show_fix_can_be_set_in_the_configuration(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.django-orm-analyzer]\nshow-fix = true\n", encoding="utf-8")

    code, out, _ = run(capsys, ".")

    assert code == 1
    assert out.splitlines()[0] == "app/views.py:2:5: ORM801 print() called with 1 argument(s); use logging"


def test_default_path_is_the_current_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 1
    assert out.splitlines()[0] == "app/views.py:2:5: ORM801 print() called with 1 argument(s)"


def test_no_findings_exits_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "app/clean.py")

    assert code == 0
    assert out.splitlines()[0].startswith("Found 0 findings in 1 file ")


def test_exit_zero_keeps_the_report_but_exits_zero(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--exit-zero", ".")

    assert code == 0
    assert out.count("ORM801") == 2


def test_select_by_code_enables_an_opt_in_rule_only(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--select", "ORM891")

    assert code == 1
    assert out.splitlines()[0] == "app/views.py:3:13: ORM891 input() blocks a request"
    assert "ORM801" not in out


def test_select_catalogue_prefix_keeps_opt_in_rules_off(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--select", "ORM")

    assert [line.split(": ")[1].split()[0] for line in out.splitlines() if line.startswith("app/")] == [
        "ORM801",
        "ORM801",
    ]


def test_extend_select_adds_an_opt_in_rule_to_the_defaults(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--extend-select", "orm891")

    assert [line.split(": ", 1)[1].split()[0] for line in out.splitlines() if line.startswith("app/")] == [
        "ORM801",
        "ORM891",
        "ORM801",
    ]


def test_ignore_by_prefix_removes_a_rule(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--ignore", "ORM8")

    assert code == 0
    assert out.startswith("Found 0 findings in 3 files")


def test_unknown_code_in_select_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--select", "ORM801,ORM999")

    assert code == 2
    assert out == ""
    assert err == "django-orm-analyzer: error: unknown rule code or prefix in select: ORM999\n"


def test_unknown_flag_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--no-such-flag")

    assert code == 2
    assert "unrecognized arguments: --no-such-flag" in err


def test_missing_path_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "nowhere")

    assert code == 2
    assert err == "django-orm-analyzer: error: path does not exist: nowhere\n"


def test_list_rules_prints_code_name_default_and_summary(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_rules(monkeypatch, PRINT_RULE, INPUT_RULE)
    code, out, _ = run(capsys, "--list-rules")

    assert code == 0
    assert out == (
        "ORM801  print-call  on            A print() call.\nORM891  input-call  off (opt-in)  An input() call.\n"
    )


def test_explain_prints_the_rule_page(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--explain", "orm801")

    assert code == 0
    assert out.startswith("# ORM801: print-call\n\nA print() call.\n\n- Code: `ORM801`\n")
    assert "## What it does\nFlags calls to print().\n" in out


def test_explain_unknown_code_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--explain", "ORM999")

    assert code == 2
    assert out == ""
    assert err == "django-orm-analyzer: error: unknown rule code: ORM999 (--list-rules shows every code)\n"


def test_json_format_prints_only_json_and_the_summary_goes_to_stderr(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--format", "json", ".")

    document = json.loads(out)
    assert code == 1
    assert [(item["code"], item["line"]) for item in document["findings"]] == [("ORM801", 2), ("ORM801", 4)]
    assert SUMMARY.match(err.strip())


def test_github_format_prints_workflow_commands(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--format", "github", ".")

    assert code == 1
    assert out.splitlines() == [
        "::warning file=app/views.py,line=2,col=5,endLine=2,endColumn=15,title=ORM801::"
        "print() called with 1 argument(s); use logging",
        "::warning file=app/views.py,line=4,col=5,endLine=4,endColumn=20,title=ORM801::"
        "print() called with 2 argument(s); use logging",
    ]


def test_config_file_values_apply_and_flags_override_them(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.django-orm-analyzer]\nselect = ["ORM891"]\nformat = "github"\n', encoding="utf-8"
    )

    from_file = run(capsys, ".")
    overridden = run(capsys, "--format", "text", ".")

    assert from_file[1].splitlines() == [
        "::error file=app/views.py,line=3,col=13,endLine=3,endColumn=23,title=ORM891::input() blocks a request"
    ]
    assert overridden[1].splitlines()[0] == "app/views.py:3:13: ORM891 input() blocks a request"


def test_config_file_is_found_in_a_parent_folder(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "pyproject.toml").write_text('[tool.django-orm-analyzer]\nignore = ["ORM801"]\n', encoding="utf-8")
    monkeypatch.chdir(project / "app")
    code, out, _ = run(capsys, ".")

    assert code == 0
    assert out.startswith("Found 0 findings in 3 files")


def test_bad_config_key_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.django-orm-analyzer]\nselct = ["ORM801"]\n', encoding="utf-8")

    code, out, err = run(capsys, ".")

    assert code == 2
    assert out == ""
    assert err == (
        f"django-orm-analyzer: error: {project / 'pyproject.toml'} ([tool.django-orm-analyzer]): unknown key 'selct'\n"
    )


def test_explicit_config_file_that_does_not_exist_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--config", "missing.toml", ".")

    assert code == 2
    assert err == f"django-orm-analyzer: error: configuration file not found: {project / 'missing.toml'}\n"


def test_internal_error_in_a_rule_exits_two_and_is_reported(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_rules(monkeypatch, PRINT_RULE, CRASH_RULE)
    (project / "app" / "broken.py").write_text("crash_with_bug = 1\n", encoding="utf-8")

    code, out, _ = run(capsys, ".")

    assert code == 2
    assert "app/broken.py: error: internal error in ORM802: KeyError: 'missing'" in out.splitlines()
    assert out.count(": ORM801 ") == 2


def test_python_dash_m_analyzer_runs_the_cli(project: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "analyzer", "--format", "json", "app/clean.py"],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["summary"]["files"] == 1


def test_jobs_runs_rules_in_worker_processes_with_the_same_results(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import analyzer.workers

    use_rules(monkeypatch, PRINT_RULE, CRASH_RULE)
    for number in range(6):
        (project / "app" / f"extra{number}.py").write_text(f"print({number})\n", encoding="utf-8")
    (project / "app" / "broken.py").write_text("crash_with_bug = 1\n", encoding="utf-8")
    # --no-cache: the second run must really check the files in workers, not answer from the first run's cache.
    serial = run(capsys, "--no-cache", "--jobs", "1", "--format", "json", ".")
    monkeypatch.setattr(analyzer.workers, "PARALLEL_MIN_FILES", 1)

    parallel = run(capsys, "--no-cache", "--jobs", "2", "--format", "json", ".")

    def without_timing(output: str) -> dict[str, object]:
        document: dict[str, object] = json.loads(output)
        del document["summary"]["seconds"]  # type: ignore[attr-defined]
        return document

    assert parallel[0] == serial[0] == 2
    assert without_timing(parallel[1]) == without_timing(serial[1])
    assert len(without_timing(parallel[1])["findings"]) == 8  # type: ignore[arg-type]


def test_jobs_must_be_a_positive_integer(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--jobs", "0")

    assert code == 2
    assert "argument --jobs: expected a positive integer, got '0'" in err


def test_unknown_code_in_per_file_ignores_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.django-orm-analyzer]\nper-file-ignores = {"app/*" = ["ORM7"]}\n', encoding="utf-8"
    )

    code, _, err = run(capsys, ".")

    assert code == 2
    assert err == 'django-orm-analyzer: error: unknown rule code or prefix in per-file-ignores "app/*": ORM7\n'


def test_configured_settings_module_that_cannot_be_found_is_reported(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--settings", "conf.missing", "app/clean.py")

    assert code == 0
    assert out.splitlines()[:2] == [
        "Errors (these files were not fully analysed):",
        ".: error: settings module conf.missing not found",
    ]
