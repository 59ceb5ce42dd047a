"""Configuration: rule selection semantics and the ``[tool.django-orm-analyzer]`` table."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from analyzer.config import Config, find_config_file, load_config_file, select_rules, validate_selectors
from analyzer.errors import ConfigError, UsageError
from tests.fixtures.infra_rules import CRASH_RULE, INPUT_RULE, PRINT_RULE

RULES = (PRINT_RULE, CRASH_RULE, INPUT_RULE)  # ORM801 on, ORM802 on, ORM891 opt-in


def selected(**options: tuple[str, ...]) -> list[str]:
    return [rule.code for rule in select_rules(Config(**options), RULES)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["ORM801", "ORM802"]),
        ({"select": ("ORM801",)}, ["ORM801"]),
        ({"select": ("ORM8",)}, ["ORM801", "ORM802", "ORM891"]),
        ({"select": ("ORM",)}, ["ORM801", "ORM802"]),
        ({"select": ("orm80",)}, ["ORM801", "ORM802"]),
        ({"extend_select": ("ORM891",)}, ["ORM801", "ORM802", "ORM891"]),
        ({"select": ("ORM801",), "extend_select": ("ORM891",)}, ["ORM801", "ORM891"]),
        ({"ignore": ("ORM802",)}, ["ORM801"]),
        ({"ignore": ("ORM8",)}, []),
        # The more specific selector wins; on a tie ignore wins.
        ({"ignore": ("ORM8",), "extend_select": ("ORM801",)}, ["ORM801"]),
        ({"select": ("ORM801",), "ignore": ("ORM801",)}, []),
        ({"select": ("ORM80",), "ignore": ("ORM802",)}, ["ORM801"]),
    ],
)
def test_select_ignore_and_extend_select(options: dict[str, tuple[str, ...]], expected: list[str]) -> None:
    assert selected(**options) == expected


def test_selector_that_names_no_rule_is_a_usage_error() -> None:
    validate_selectors(["ORM8", "orm801"], RULES, "select")
    with pytest.raises(UsageError, match=r"^unknown rule code or prefix in ignore: ORM7$"):
        validate_selectors(["ORM8", "ORM7"], RULES, "ignore")


def write(folder: Path, text: str, name: str = "pyproject.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_is_read_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [tool.django-orm-analyzer]
        select = ["orm1", "ORM2"]
        ignore = ["ORM105"]
        extend-select = ["ORM901"]
        exclude = ["legacy/", "*_pb2.py"]
        per-file-ignores = {"tests/**" = ["ORM5"], "*/admin.py" = ["ORM112"]}
        settings = "bookshop.settings"
        format = "json"
        baseline = "ci/baseline.json"
        runtime-report = "ci/runtime.json"
        exit-zero = true
        jobs = 4
        max-file-size = 1000
        """.replace("\n        ", "\n"),
    )

    config = Config(**load_config_file(path))

    assert config == Config(
        select=("ORM1", "ORM2"),
        ignore=("ORM105",),
        extend_select=("ORM901",),
        exclude=("legacy/", "*_pb2.py"),
        per_file_ignores={"tests/**": ("ORM5",), "*/admin.py": ("ORM112",)},
        settings="bookshop.settings",
        output_format="json",
        baseline=str(tmp_path / "ci" / "baseline.json"),
        runtime_report=str(tmp_path / "ci" / "runtime.json"),
        exit_zero=True,
        jobs=4,
        root=tmp_path,
        max_file_size=1000,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('selct = ["ORM1"]', "unknown key 'selct'"),
        ('select = "ORM1"', "select must be a list of strings, got 'ORM1'"),
        ("ignore = [101]", "ignore must be a list of strings, got [101]"),
        ('format = "xml"', "format must be one of text, full, json, sarif, github, got 'xml'"),
        ('exit-zero = "yes"', "exit-zero must be true or false, got 'yes'"),
        ("jobs = 0", "jobs must be a positive integer, got 0"),
        ("jobs = true", "jobs must be a positive integer, got True"),
        ('settings = "my-settings"', "settings must be a dotted module name, got 'my-settings'"),
        ('per-file-ignores = ["x"]', "per-file-ignores must be a table of glob = [codes], got ['x']"),
        ('per-file-ignores = {"x" = "ORM1"}', "per-file-ignores.\"x\" must be a list of strings, got 'ORM1'"),
        ("baseline = 3", "baseline must be a path string, got 3"),
    ],
)
def test_bad_keys_and_types_are_config_errors(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, f"[tool.django-orm-analyzer]\n{body}\n")

    with pytest.raises(ConfigError) as raised:
        load_config_file(path)

    assert str(raised.value) == f"{path} ([tool.django-orm-analyzer]): {message}"


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.django-orm-analyzer\n")

    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML: "):
        load_config_file(path)


def test_nearest_pyproject_with_the_table_wins_and_others_are_skipped(tmp_path: Path) -> None:
    outer = write(tmp_path, '[tool.django-orm-analyzer]\nselect = ["ORM1"]\n')
    (tmp_path / "inner" / "deeper").mkdir(parents=True)
    write(tmp_path / "inner", '[project]\nname = "inner"\n')  # no table: not a configuration

    assert find_config_file(tmp_path / "inner" / "deeper") == outer
    assert find_config_file(tmp_path) == outer


def test_no_configuration_file_found(tmp_path: Path) -> None:
    assert find_config_file(tmp_path) is None


def test_explicit_toml_file_may_hold_keys_at_top_level(tmp_path: Path) -> None:
    path = write(tmp_path, 'ignore = ["ORM5"]\n', name="analyzer.toml")

    assert load_config_file(path) == {"root": tmp_path, "ignore": ("ORM5",)}


def test_pyproject_without_the_table_gives_no_options(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nname = "x"\n')

    assert load_config_file(path) == {"root": tmp_path}


def test_config_is_frozen() -> None:
    config = Config()
    with pytest.raises(AttributeError):
        config.select = ("ORM1",)  # type: ignore[misc]
    assert replace(config, exit_zero=True).exit_zero is True
