"""Discovery: which files are analysed, their module names, exclude patterns and clashing module names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer.config import Config
from analyzer.discovery import PathMatcher, discover, partition_by_module_name
from analyzer.engine import analyze
from analyzer.errors import UsageError
from tests.analyzer.helpers import write_tree
from tests.fixtures.infra_rules import PRINT_RULE, use_rules


def touch(root: Path, *relatives: str) -> None:
    for relative in relatives:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def found(root: Path, exclude: tuple[str, ...] = (), *paths: str) -> list[str]:
    matcher = PathMatcher.from_strings(exclude, root)
    discovery = discover([Path(path) for path in paths or (".",)], root, exclude=matcher)
    return [source.display_path for source in discovery.files]


def test_tool_virtualenv_and_migration_folders_are_skipped(tmp_path: Path) -> None:
    skipped = [".git", ".tox", ".venv", "__pycache__", "build", "dist", "node_modules", "site-packages", "venv"]
    touch(tmp_path, "app/views.py", "app/migrations/0001_initial.py", *(f"{name}/mod.py" for name in skipped))
    touch(tmp_path, "env3/lib/mod.py", "env3/pyvenv.cfg")  # a virtualenv under any name

    assert found(tmp_path) == ["app/views.py"]


def test_a_file_named_on_the_command_line_is_analysed_unless_it_is_a_migration(tmp_path: Path) -> None:
    touch(tmp_path, "build/gen.py", "app/migrations/0001_initial.py")

    assert found(tmp_path, (), "build/gen.py", "app/migrations/0001_initial.py") == ["build/gen.py"]


def test_module_names_are_dotted_from_the_first_folder_that_is_not_a_package(tmp_path: Path) -> None:
    write_tree(tmp_path / "project", {"catalog/models.py": "", "bookshop/settings/base.py": ""})
    touch(tmp_path, "project/manage.py", "scripts/tool.py")

    discovery = discover([Path(".")], tmp_path)

    assert [(source.display_path, source.modname, source.root) for source in discovery.files] == [
        ("project/bookshop/__init__.py", "bookshop", tmp_path / "project"),
        ("project/bookshop/settings/__init__.py", "bookshop.settings", tmp_path / "project"),
        ("project/bookshop/settings/base.py", "bookshop.settings.base", tmp_path / "project"),
        ("project/catalog/__init__.py", "catalog", tmp_path / "project"),
        ("project/catalog/models.py", "catalog.models", tmp_path / "project"),
        ("project/manage.py", "manage", tmp_path / "project"),
        ("scripts/tool.py", "tool", tmp_path / "scripts"),
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # Without a slash a pattern matches a file or folder name at any depth.
        ("generated_*.py", ["app/legacy/old.py", "app/views.py", "lib/util.py"]),
        ("legacy", ["app/generated_forms.py", "app/views.py", "lib/util.py"]),
        # With a slash it is anchored to the configuration's folder.
        ("app/legacy/", ["app/generated_forms.py", "app/views.py", "lib/util.py"]),
        ("legacy/old.py", ["app/generated_forms.py", "app/legacy/old.py", "app/views.py", "lib/util.py"]),
        ("**/old.py", ["app/generated_forms.py", "app/views.py", "lib/util.py"]),
        ("app/*", ["lib/util.py"]),
        ("/lib", ["app/generated_forms.py", "app/legacy/old.py", "app/views.py"]),
        ("util.p[xy]", ["app/generated_forms.py", "app/legacy/old.py", "app/views.py"]),
    ],
)
def test_exclude_patterns_are_gitignore_like(tmp_path: Path, pattern: str, expected: list[str]) -> None:
    touch(tmp_path, "app/views.py", "app/generated_forms.py", "app/legacy/old.py", "lib/util.py")

    assert found(tmp_path, (pattern,)) == expected


def test_exclude_patterns_are_relative_to_the_configuration_folder_not_the_cwd(tmp_path: Path) -> None:
    touch(tmp_path, "project/app/views.py", "project/app/admin.py")
    matcher = PathMatcher.from_strings(["app/admin.py"], tmp_path / "project")

    discovery = discover([Path("project")], tmp_path, exclude=matcher)

    assert [source.display_path for source in discovery.files] == ["project/app/views.py"]


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^path does not exist: missing$"):
        discover([Path("missing")], tmp_path)


def test_symlink_loop_is_reported_and_the_walk_goes_on(tmp_path: Path) -> None:
    touch(tmp_path, "app/views.py")
    (tmp_path / "app" / "again").symlink_to(tmp_path / "app", target_is_directory=True)

    discovery = discover([Path(".")], tmp_path)

    assert [source.display_path for source in discovery.files] == ["app/views.py"]
    assert [(error.path, error.message) for error in discovery.errors] == [
        ("app/again", f"symlink loop: again points back to {tmp_path / 'app'}")
    ]


def test_broken_symlink_is_reported_and_the_walk_goes_on(tmp_path: Path) -> None:
    touch(tmp_path, "app/views.py")
    (tmp_path / "app" / "gone.py").symlink_to(tmp_path / "nowhere.py")

    discovery = discover([Path(".")], tmp_path)

    assert [source.display_path for source in discovery.files] == ["app/views.py"]
    assert [(error.path, error.message) for error in discovery.errors] == [
        ("app/gone.py", f"broken symlink: {tmp_path / 'nowhere.py'} does not exist")
    ]


def test_a_file_reached_twice_through_a_symlink_is_analysed_once(tmp_path: Path) -> None:
    touch(tmp_path, "app/views.py")
    (tmp_path / "alias").symlink_to(tmp_path / "app", target_is_directory=True)

    assert found(tmp_path) == ["alias/views.py"]


def test_clashing_module_names_are_split_into_groups_keeping_each_root_together(tmp_path: Path) -> None:
    write_tree(tmp_path / "one", {"app/models.py": "", "app/views.py": ""})
    write_tree(tmp_path / "two", {"app/models.py": "", "other/tasks.py": ""})

    groups = partition_by_module_name(discover([Path(".")], tmp_path).files)

    assert [[source.display_path for source in group] for group in groups] == [
        ["one/app/__init__.py", "one/app/models.py", "one/app/views.py"],
        ["two/app/__init__.py", "two/app/models.py", "two/other/__init__.py", "two/other/tasks.py"],
    ]


def test_clashing_module_names_are_both_analysed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_rules(monkeypatch, PRINT_RULE)
    write_tree(tmp_path / "one", {"app/models.py": "print(1)\n"})
    write_tree(tmp_path / "two", {"app/models.py": "x = 1\nprint(2)\n"})

    result = analyze([tmp_path], Config(), cwd=tmp_path)

    assert [(finding.path, finding.line) for finding in result.findings] == [
        ("one/app/models.py", 1),
        ("two/app/models.py", 2),
    ]
    assert result.errors == ()


def test_unreadable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "app/views.py", "locked/secret.py")
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)

    discovery = discover([Path(".")], tmp_path)

    assert [source.display_path for source in discovery.files] == ["app/views.py"]
    assert [(error.path, error.message) for error in discovery.errors] == [
        ("locked", "cannot list folder: Permission denied")
    ]
