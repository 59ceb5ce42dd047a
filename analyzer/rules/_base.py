"""The rule record: each rule module holds one ``RULE`` with its metadata, docs, examples and check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analyzer.findings import Finding, Severity

if TYPE_CHECKING:
    from analyzer.context import FileContext


@dataclass(frozen=True)
class Rule:
    """A rule's catalogue entry.

    ``docs`` is Markdown with the sections "What it does", "Why is this bad?", "Example" and "Use instead"
    (then optionally "Known problems", "Options", "References"). The same text serves ``--explain``, docs/ and SARIF.
    ``bad_example`` must give exactly this rule's code when analysed alone, ``good_example`` nothing: both are tests.
    """

    code: str
    name: str
    summary: str
    severity: Severity
    docs: str
    bad_example: str
    good_example: str
    check: Callable[[FileContext], Iterable[Finding]]
    default_enabled: bool = True
    # How a runtime report confirms the rule's findings: "location" (a runtime finding on the same line, or on a
    # related line), or "relation" (a runtime lazy load of the same model.field anywhere, for findings about code
    # that runs wherever the model's rows are listed, such as a __str__).
    runtime_match: str = "location"
