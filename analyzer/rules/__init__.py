"""Rule registry: every public module in this package holds one ``RULE``; they are found, not listed by hand."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from analyzer.rules._base import Rule

__all__ = ["Rule", "all_rules", "rule_by_code"]


@cache
def all_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            rules.append(rule)
    codes = [rule.code for rule in rules]
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        raise RuntimeError(f"rule codes registered twice: {', '.join(duplicated)}")
    return tuple(sorted(rules, key=lambda rule: rule.code))


def rule_by_code(code: str) -> Rule | None:
    return next((rule for rule in all_rules() if rule.code == code), None)
