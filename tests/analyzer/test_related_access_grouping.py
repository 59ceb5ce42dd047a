"""Grouping related reads per loop (``rules._flow.group_accesses``): the same groups as comparing every event with
every group, at a cost that grows linearly with the N+1 sites of a file.

The cost is measured by counting work, not time: the Python lines the grouping executes, traced with
``sys.settrace``. For identical functions the count is exactly ``a * n + b``; comparing each event with every
earlier group would add a term in ``n * n``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from types import FrameType, SimpleNamespace
from typing import Any

import pytest

import analyzer.rules._flow as flow_rules
from analyzer.config import Config
from analyzer.engine import analyze
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.values import Origin
from analyzer.rules._flow import AccessGroup, group_accesses

MODELS = """\
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=10)

    def __str__(self):
        return self.name


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return "book"
"""
FUNCTION = "\n\ndef list_{number}():\n    for book in Book.objects.all():\n        print(book.author.name)\n"


def pairwise_reference(events: Iterable[FlowEvent]) -> list[AccessGroup]:
    """The grouping as first written: each event against every group so far (quadratic, kept as the oracle)."""
    groups: list[AccessGroup] = []
    ordered = sorted(
        events, key=lambda item: (item.path, item.line, item.node.col_offset or 0, len(item.relation_path))
    )
    for event in ordered:
        merged = False
        for index, group in enumerate(groups):
            same_site = group.event.loop is event.loop and group.event.origin == event.origin
            if not same_site or group.event.path != event.path:
                continue
            if event.relation_path == group.fix_path or group.fix_path.startswith(f"{event.relation_path}__"):
                merged = True
                break
            if event.relation_path.startswith(f"{group.fix_path}__") and not event.prefix_selected:
                groups[index] = replace(group, fix_path=event.relation_path)
                merged = True
                break
        if not merged:
            groups.append(AccessGroup(event, event.relation_path))
    return groups


def test_groups_equal_the_pairwise_grouping_on_random_reads() -> None:
    generator = random.Random(20261202)
    loops: list[object | None] = [SimpleNamespace(), SimpleNamespace(), None]
    origins = [Origin("a.py", 1, "Book.objects.all()", None), Origin("a.py", 2, "Book.objects.all()", None), None]
    for _ in range(2000):
        events = [
            FlowEvent(
                EventKind.RELATED_ACCESS,
                SimpleNamespace(col_offset=generator.randint(0, 3)),
                generator.choice(["a.py", "b.py"]),
                generator.randint(1, 4),
                "book.author",
                loop=generator.choice(loops),
                relation_path="__".join(generator.choice("abc") for _ in range(generator.randint(1, 4))),
                origin=generator.choice(origins),
                prefix_selected=generator.random() < 0.3,
            )
            for _ in range(generator.randint(1, 14))
        ]

        expected = [(id(group.event), group.fix_path) for group in pairwise_reference(events)]
        assert [(id(group.event), group.fix_path) for group in group_accesses(events)] == expected


def counting_lines(function: Callable[..., Any], counter: list[int]) -> Callable[..., Any]:
    """``function`` with every line it runs in ``rules/_flow.py`` added to ``counter[0]``."""
    flow_file = flow_rules.__file__

    def local(frame: FrameType, event: str, arg: object) -> Any:
        if event == "line":
            counter[0] += 1
        return local

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename == flow_file else None

    def traced(*args: Any) -> Any:
        sys.settrace(tracer)
        try:
            return function(*args)
        finally:
            sys.settrace(None)

    return traced


def grouping_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, functions: int) -> tuple[int, int]:
    """Lines run grouping the reads of one file with ``functions`` N+1 loops, and the ORM101 findings."""
    root = tmp_path / f"n{functions}"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (root / "shop" / "models.py").write_text(MODELS, encoding="utf-8")
    views = "from shop.models import Book\n" + "".join(FUNCTION.format(number=number) for number in range(functions))
    (root / "shop" / "views.py").write_text(views, encoding="utf-8")
    counter = [0]
    monkeypatch.setattr(flow_rules, "group_accesses", counting_lines(group_accesses, counter))

    result = analyze([root / "shop"], Config(select=("ORM101",), jobs=1), cwd=root)

    lines = [finding.line for finding in result.findings if finding.path == "shop/views.py"]
    assert lines == [6 + 5 * number for number in range(functions)]
    assert result.errors == ()
    return counter[0], len(result.findings)


def test_grouping_work_is_linear_in_the_n_plus_one_sites_of_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small, _ = grouping_work(tmp_path, monkeypatch, 1000)
    double, _ = grouping_work(tmp_path, monkeypatch, 2000)
    per_site = (double - small) // 1000
    fixed = small - per_site * 1000

    large, findings = grouping_work(tmp_path, monkeypatch, 16000)

    assert findings == 16000
    assert large == per_site * 16000 + fixed
