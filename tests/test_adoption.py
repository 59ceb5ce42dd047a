"""The README's "Use it in your project" commands, run as written in a new virtualenv outside this repository.

The package is built into a wheel once and installed from the package index's dependencies (pinned to
requirements/development.txt through PIP_CONSTRAINT), then each command runs on a small Django project written
here: the static pass, ``pytest --detect-nplusone``, the middleware and the debug-toolbar panel through real
requests, the baseline, and the steps of both CI recipes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import venv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parent.parent
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Use it in your project", 1)[1].split("\n## ", 1)[0]
PINS = REPOSITORY / "requirements" / "development.txt"
GIT_URL = "https://github.com/OWNER/django-orm-analyzer.git"

pytestmark = pytest.mark.install

PROJECT = {
    "manage.py": """\
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
        """,
    "site_settings.py": """\
        import debug_toolbar.settings

        DEBUG = True
        SECRET_KEY = "adoption-test"
        ALLOWED_HOSTS = ["testserver"]
        INTERNAL_IPS = ["127.0.0.1"]
        INSTALLED_APPS = ["django.contrib.staticfiles", "debug_toolbar", "shop"]
        MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware"]
        ROOT_URLCONF = "shop.urls"
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
        DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
        STATIC_URL = "static/"
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
        LOGGING = {
            "version": 1,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "loggers": {"runtime": {"handlers": ["console"], "level": "INFO"}},
        }
        """,
    "shop/__init__.py": "",
    "shop/models.py": """\
        from django.db import models


        class Author(models.Model):
            name = models.CharField(max_length=100)

            def __str__(self):
                return self.name


        class Book(models.Model):
            title = models.CharField(max_length=100)
            author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

            def __str__(self):
                return self.title
        """,
    "shop/views.py": """\
        from django.http import HttpResponse

        from shop.models import Book


        def book_list(request):
            names = []
            for book in Book.objects.all():
                names.append(book.author.name)
            return HttpResponse(f"<html><body>{', '.join(names)}</body></html>")
        """,
    "shop/urls.py": """\
        from debug_toolbar.toolbar import debug_toolbar_urls
        from django.urls import path

        from shop.views import book_list

        urlpatterns = [path("books/", book_list), *debug_toolbar_urls()]
        """,
    "shop/tests/__init__.py": "",
    "shop/tests/test_views.py": """\
        import pytest

        from shop.models import Author, Book


        @pytest.mark.django_db
        def test_book_list(client):
            authors = Author.objects.bulk_create([Author(name=f"a{index}") for index in range(3)])
            Book.objects.bulk_create([Book(title=author.name, author=author) for author in authors])
            assert client.get("/books/").status_code == 200
        """,
    "pytest.ini": """\
        [pytest]
        DJANGO_SETTINGS_MODULE = site_settings
        """,
    "requests.py": """\
        import re

        import django

        django.setup()
        from django.test import Client
        from django.test.utils import setup_test_environment

        from shop.models import Author, Book

        setup_test_environment()
        authors = Author.objects.bulk_create([Author(name=f"a{index}") for index in range(3)])
        Book.objects.bulk_create([Book(title=author.name, author=author) for author in authors])
        client = Client()
        page = client.get("/books/").content.decode()
        request_id = re.search(r'data-request-id="([0-9a-f]+)"', page).group(1)
        panel = client.get("/__debug__/render_panel/", {"request_id": request_id, "panel_id": "NPlusOnePanel"})
        print(panel.json()["content"])
        """,
}
STATIC_FINDING = "shop/views.py:9:22: ORM101 [*] book.author is loaded once per row of Book.objects.all() (line 8)"
RUNTIME_MESSAGE = (
    'N+1 detected on shop.Book.author at shop/views.py:9 in book_list (3 queries); add .select_related("author")'
)


@dataclass(frozen=True)
class Environment:
    """The new virtualenv, the small project and the local clone the git URL stands for."""

    bin: Path
    project: Path
    clone: Path

    def run(self, command: str, *, check_code: int | None = 0) -> subprocess.CompletedProcess[str]:
        """A README command line, run by the shell in the project with the virtualenv first on PATH."""
        environment = {
            **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))},
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(self.bin.parent),
            "PIP_CONSTRAINT": str(self.bin.parent / "constraints.txt"),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "DJANGO_SETTINGS_MODULE": "site_settings",
            "PYTHONPATH": str(self.project),
        }
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.project, env=environment, capture_output=True, text=True, timeout=300
        )
        if check_code is not None:
            assert done.returncode == check_code, f"{command}\n{done.stdout}\n{done.stderr}"
        return done


def readme_commands(language: str) -> list[str]:
    """The code blocks of one language in the README's "Use it in your project" section."""
    return re.findall(rf"```{language}\n(.*?)```", SECTION, re.DOTALL)


def write_project(root: Path, files: Mapping[str, str]) -> None:
    for relative, source in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    work = tmp_path_factory.mktemp("adoption")
    source = work / "source"
    for name in ("analyzer", "runtime"):
        shutil.copytree(REPOSITORY / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, source / name)
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    subprocess.run(["git", "-C", str(source), "add", "-A"], check=True)
    subprocess.run(
        ["git", "-C", str(source), "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm", "s"],
        check=True,
    )
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    virtualenv = work / "venv"
    venv.create(virtualenv, with_pip=True, upgrade_deps=True)
    # Editable lines cannot be constraints; every other pin keeps the install on the tested versions.
    pins = [line for line in PINS.read_text(encoding="utf-8").splitlines() if not line.startswith("-e ")]
    (virtualenv / "constraints.txt").write_text("\n".join(pins) + "\n", encoding="utf-8")
    project = work / "project"
    write_project(project, PROJECT)
    yield Environment(virtualenv / "bin", project, source)


def test_the_readme_shows_the_commands_this_test_runs() -> None:
    bash = "\n".join(readme_commands("bash"))
    for command in (
        "python -m pip install django_orm_analyzer-0.1.0-py3-none-any.whl",
        "python -m pip install pytest-django",
        "django-orm-analyzer .",
        "pytest --detect-nplusone",
        "django-orm-analyzer . --write-baseline .django-orm-analyzer-baseline.json",
        "django-orm-analyzer . --baseline .django-orm-analyzer-baseline.json",
    ):
        assert command in bash or command in SECTION
    assert readme_commands("python") == [
        "import debug_toolbar.settings  # only with django-debug-toolbar set up\n"
        "\n"
        'MIDDLEWARE += ["runtime.middleware.NPlusOneMiddleware"]\n'
        'DEBUG_TOOLBAR_PANELS = [*debug_toolbar.settings.PANELS_DEFAULTS, "runtime.debug_toolbar.NPlusOnePanel"]\n'
    ]


def test_readme_commands_work_in_a_new_virtualenv(environment: Environment) -> None:
    wheel = next((environment.clone.parent / "dist").glob("*.whl"))
    shutil.copy(wheel, environment.project / wheel.name)
    environment.run(f"python -m pip install --quiet {wheel.name}")
    environment.run("python -m pip install --quiet pytest-django")
    environment.run(f'python -m pip install --quiet "{wheel.name}[debug-toolbar]"')
    (environment.project / wheel.name).unlink()
    settings = environment.project / "site_settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + readme_commands("python")[0], encoding="utf-8")

    static = environment.run("django-orm-analyzer .", check_code=1)
    assert static.stdout.splitlines()[:2] == [STATIC_FINDING, ""]
    assert static.stdout.splitlines()[2].startswith("Found 1 finding in ")

    tests = environment.run("pytest --detect-nplusone -p no:cacheprovider", check_code=1)
    assert f"1 N+1 query detected:\n  {RUNTIME_MESSAGE}\n" in tests.stdout
    assert (
        'shop/views.py:9: lazy load of shop.Book.author, up to 3 queries, in 1 test; add .select_related("author")\n'
        in tests.stdout
    )
    assert re.fullmatch(r"=+ 1 failed in [\d.]+s =+", tests.stdout.splitlines()[-1])

    environment.run("python manage.py migrate --run-syncdb -v 0")
    panel = environment.run("python requests.py")
    assert panel.stderr == f"[shop:book_list] {RUNTIME_MESSAGE}\n"
    assert panel.stdout.startswith("<p>1 N+1 in this request.</p><table>")
    assert "<td><code>shop.Book.author</code></td><td><code>shop/views.py:9 in book_list</code></td>" in panel.stdout

    environment.run("django-orm-analyzer . --write-baseline .django-orm-analyzer-baseline.json")
    environment.run("django-orm-analyzer . --baseline .django-orm-analyzer-baseline.json")
    views = environment.project / "shop" / "views.py"
    views.write_text(
        views.read_text(encoding="utf-8")
        + "\n\ndef titles():\n    return [b.author.name for b in Book.objects.all()]\n",
        encoding="utf-8",
    )
    new = environment.run("django-orm-analyzer . --baseline .django-orm-analyzer-baseline.json", check_code=1)
    assert new.stdout.splitlines()[0] == (
        "shop/views.py:14:13: ORM101 [*] b.author is loaded once per row of Book.objects.all() (line 14)"
    )

    run_ci_recipes(environment)


def _ci_commands() -> list[list[str]]:
    workflows = [yaml.safe_load(block) for block in readme_commands("yaml")]
    github = next(document for document in workflows if isinstance(document, dict) and "jobs" in document)
    gitlab = next(
        document for document in workflows if isinstance(document, dict) and "django-orm-analyzer" in document
    )
    github_steps = github["jobs"]["django-orm-analyzer"]["steps"]
    return [
        [step["run"] for step in github_steps if "run" in step],
        list(gitlab["django-orm-analyzer"]["script"]),
    ]


def run_ci_recipes(environment: Environment) -> None:
    """Both recipes' commands in order, the git URL pointing at a local clone; the baseline holds one finding."""
    github, gitlab = _ci_commands()
    assert github[0] == gitlab[0] == f'python -m pip install "django-orm-analyzer @ git+{GIT_URL}"'
    for commands in (github, gitlab):
        environment.run("django-orm-analyzer . --write-baseline .django-orm-analyzer-baseline.json")
        install = commands[0].replace(GIT_URL, f"file://{environment.clone}")
        environment.run(f"{install} --quiet --no-deps --force-reinstall")
        for command in commands[1:]:
            environment.run(command)

    sarif = json.loads((environment.project / "django-orm-analyzer.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert [result["ruleId"] for result in sarif["runs"][0]["results"]] == ["ORM101", "ORM101"]
    report = json.loads((environment.project / "django-orm-analyzer.json").read_text(encoding="utf-8"))
    assert [(finding["path"], finding["line"]) for finding in report["findings"]] == [
        ("shop/views.py", 9),
        ("shop/views.py", 14),
    ]


def test_shlex_splits_every_ci_command() -> None:
    # The commands are single shell lines: a YAML folding mistake would merge two of them.
    for commands in _ci_commands():
        for command in commands:
            assert "\n" not in command
            assert shlex.split(command)[0] in ("python", "django-orm-analyzer")
