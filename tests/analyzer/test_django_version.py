"""The Django version a project targets: the config key, then pyproject.toml, then its requirements files."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cli import build_parser, resolve_config
from analyzer.config import load_config_file
from analyzer.django_version import lower_bound, target_django_version
from analyzer.errors import ConfigError


@pytest.mark.parametrize(
    ("spec", "poetry", "expected"),
    [
        (">=6.1,<7", False, (6, 1)),
        ("<7,>=6.1", False, (6, 1)),
        ("==6.1.3", False, (6, 1)),
        ("==6.1.*", False, (6, 1)),
        ("~=5.2", False, (5, 2)),
        (">=4.2,>=6.0", False, (6, 0)),
        ("<7", False, None),
        ("", False, None),
        ("^6.1", True, (6, 1)),
        ("6.1.2", True, (6, 1)),
        ("~6.0", True, (6, 0)),
    ],
)
def test_lower_bound_of_a_specifier(spec: str, poetry: bool, expected: tuple[int, int] | None) -> None:
    assert lower_bound(spec, poetry=poetry) == expected


def test_config_key_comes_first(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["Django>=5.2"]\n')

    assert target_django_version("6.1", [tmp_path]) == (6, 1)


def test_pyproject_dependencies_come_before_requirements_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["django[argon2]>=6.1,<7", "django-filter"]\n')
    (tmp_path / "requirements.txt").write_text("Django==5.2.4\n")

    assert target_django_version(None, [tmp_path / "shop"]) == (6, 1)


def test_poetry_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.12"\nDjango = {version = "^6.1"}\n'
    )

    assert target_django_version(None, [tmp_path]) == (6, 1)


def test_oldest_bound_over_all_requirements_files(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.in").write_text("# pinned below\nDjango>=6.1  # the web framework\n")
    (tmp_path / "requirements" / "legacy.txt").write_text("django==6.0.2 ; python_version < '3.12'\n")
    (tmp_path / "requirements" / "tools.txt").write_text("django-debug-toolbar==6.1\ndjango-stubs>=5\n")

    assert target_django_version(None, [tmp_path / "app" / "views.py"]) == (6, 0)


def test_project_without_django_requirement_has_no_version(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\ndependencies = ["Django"]\n')

    assert target_django_version(None, [tmp_path]) is None


def test_nearest_project_folder_upward_is_read(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("Django~=6.1.0\n")
    inner = tmp_path / "src" / "shop"
    inner.mkdir(parents=True)

    assert target_django_version(None, [inner]) == (6, 1)


def test_config_key_and_flag(tmp_path: Path) -> None:
    config_file = tmp_path / "pyproject.toml"
    config_file.write_text('[tool.django-orm-analyzer]\ndjango-version = "6.1"\n')
    assert load_config_file(config_file)["django_version"] == "6.1"

    options = build_parser().parse_args(["--django-version", "5.2", "."])
    assert resolve_config(options, tmp_path).django_version == "5.2"


def test_config_key_must_be_a_version(tmp_path: Path) -> None:
    config_file = tmp_path / "pyproject.toml"
    config_file.write_text('[tool.django-orm-analyzer]\ndjango-version = "latest"\n')

    with pytest.raises(ConfigError) as raised:
        load_config_file(config_file)
    assert str(raised.value) == (
        f'{config_file} ([tool.django-orm-analyzer]): django-version must be a version string such as "6.1", '
        "got 'latest'"
    )
