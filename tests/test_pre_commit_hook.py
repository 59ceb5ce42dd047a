"""The pre-commit hook in .pre-commit-hooks.yaml, run by ``pre-commit try-repo`` on a git repository holding a copy
of the example project: it installs this repository as the hook's environment and reports the project's findings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analyzer.cli import main

REPOSITORY = Path(__file__).resolve().parent.parent
PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")

pytestmark = pytest.mark.install


def test_hook_runs_on_changed_python_and_template_files() -> None:
    hooks = yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))

    assert [(hook["id"], hook["entry"], hook["types_or"], hook["pass_filenames"]) for hook in hooks] == [
        ("django-orm-analyzer", "django-orm-analyzer", ["python", "html", "jinja"], False)
    ]


@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed")
def test_try_repo_reports_the_example_projects_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPOSITORY / "example_project", project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "-A"], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "example project"], cwd=project, check=True)
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("PRE_COMMIT", "DJANGO_"))},
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    assert PRE_COMMIT is not None

    hook = subprocess.run(
        [PRE_COMMIT, "try-repo", str(REPOSITORY), "django-orm-analyzer", "--all-files"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=540,
    )

    # The same analysis in this process gives the lines the hook must print.
    monkeypatch.chdir(project)
    assert main(["--no-cache", "."]) == 1
    expected = capsys.readouterr().out.splitlines()
    assert hook.returncode == 1, hook.stdout + hook.stderr
    output = hook.stdout.splitlines()
    start = output.index("- hook id: django-orm-analyzer")
    assert output[start - 1].startswith("django-orm-analyzer....") and output[start - 1].endswith("Failed")
    assert output[start + 1 : start + 3] == ["- exit code: 1", ""]
    findings = output[start + 3 : start + 3 + 27]
    assert findings == expected[:27]
    assert findings[0] == (
        "accounts/selectors.py:17:40: ORM101 [*] profile.user is loaded once per row of Profile.objects.all() (line 16)"
    )
    assert output[start + 3 + 28].startswith("Found 27 findings in ")
