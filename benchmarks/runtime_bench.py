"""Runtime N+1 detectors side by side: none, this package's middleware, nplusone and django-zeal.

Each detector runs in its own subprocess (nplusone and zeal patch Django for the whole process when their app
loads), on the example project's models in an in-memory SQLite database seeded here. Three views are timed with the
test Client: a clean one (one query with select_related over ROWS books), a loop one (select_related and
prefetch_related read in a loop over the books, no N+1) and an N+1 one (one lazy author load per book). The medians
are printed as a table, with ratios against no detector and against zeal.

Then each detector runs the labelled scenarios of tests/runtime/peer_scenarios.py (modelled on django-zeal's and
nplusone's own suites) and the N+1s found and false alarms are counted per source and label. Both tables are
written to benchmarks/runtime_results.md.

    venv/bin/python benchmarks/runtime_bench.py [--iterations N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "runtime_results.md"
ROWS = 300
DETECTORS = ("none", "django-orm-analyzer", "nplusone", "django-zeal")
VIEWS = ("clean", "loop", "nplusone")
VIEW_TITLES = {"clean": "Clean", "loop": "Loop", "nplusone": "N+1"}


def _settings(detector: str, scoring: bool = False) -> dict[str, Any]:
    apps = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "core",
        "accounts",
        "catalog",
        "orders",
    ]
    middleware: list[str] = []
    extra: dict[str, Any] = {}
    if detector == "django-orm-analyzer":
        middleware = ["runtime.middleware.NPlusOneMiddleware"]
        extra["ORM_ANALYZER"] = {"ENABLED": True, "ACTION": "log", "ROOT": str(ROOT)}
    elif detector == "nplusone":
        apps.append("nplusone.ext.django")
        middleware = ["nplusone.ext.django.NPlusOneMiddleware"]
        extra.update(NPLUSONE_RAISE=False, NPLUSONE_LOGGER=logging.getLogger("nplusone"))
    elif detector == "django-zeal":
        apps.append("zeal")
        middleware = ["zeal.middleware.zeal_middleware"]
        # Scoring counts the NPlusOneError zeal raises; timing measures it warning, as the others log.
        extra.update(ZEAL_RAISE=scoring)
    return {
        "DEBUG": False,
        "SECRET_KEY": "benchmark-not-a-secret",
        "ALLOWED_HOSTS": ["testserver"],
        "INSTALLED_APPS": apps,
        "MIDDLEWARE": middleware,
        "ROOT_URLCONF": __name__,
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        **extra,
    }


urlpatterns: list[Any] = []


def _define_views() -> None:
    from catalog.models import Book
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    def clean(request: HttpRequest) -> HttpResponse:
        return HttpResponse(",".join(book.author.name for book in Book.objects.select_related("author")))

    def loop(request: HttpRequest) -> HttpResponse:
        books = Book.objects.select_related("author").prefetch_related("tags")
        return HttpResponse(",".join(f"{book.author.name}:{len(book.tags.all())}" for book in books))

    def n_plus_one(request: HttpRequest) -> HttpResponse:
        return HttpResponse(",".join(book.author.name for book in Book.objects.all()))

    urlpatterns[:] = [path("clean/", clean), path("loop/", loop), path("nplusone/", n_plus_one)]


def _seed() -> None:
    from catalog.models import Author, Book, Publisher, Tag

    publisher = Publisher.objects.create(name="Press", country="NL")
    authors = Author.objects.bulk_create([Author(name=f"author{index}") for index in range(ROWS)])
    books = Book.objects.bulk_create(
        [
            Book(title=f"book{index}", isbn=f"{index:013d}", price=1, author=author, publisher=publisher)
            for index, author in enumerate(authors)
        ]
    )
    tags = Tag.objects.bulk_create([Tag(name=f"tag{index}") for index in range(10)])
    Book.tags.through.objects.bulk_create(
        [Book.tags.through(book_id=book.pk, tag_id=tags[index % 10].pk) for index, book in enumerate(books)]
    )


def _time(client: Any, url: str, iterations: int) -> float:
    for _ in range(max(3, iterations // 10)):
        client.get(url)
    samples = []
    for _ in range(iterations):
        # CPU time of this thread (the test client runs the request in it): other processes on a shared machine
        # do not count, as they would in wall-clock time.
        start = time.thread_time()
        response = client.get(url)
        samples.append(time.thread_time() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return statistics.median(samples) * 1000


def _n_plus_one_iterations(iterations: int) -> int:
    return max(10, iterations // 6)


def _configure(detector: str, scoring: bool = False) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
    import django
    from django.conf import settings
    from django.core.management import call_command

    # Findings are reported on loggers and as warnings: measure the detection, not a console handler.
    for name in ("runtime", "nplusone", "zeal"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    warnings.simplefilter("ignore")
    settings.configure(**_settings(detector, scoring))
    django.setup()
    call_command("migrate", verbosity=0)


def run_one(detector: str, iterations: int) -> dict[str, Any]:
    """Time the views under one detector (in this process); the result is printed as JSON by the child."""
    _configure(detector)
    _define_views()
    _seed()
    from django.test import Client

    client = Client()
    return {
        "clean": _time(client, "/clean/", iterations),
        "loop": _time(client, "/loop/", iterations),
        "nplusone": _time(client, "/nplusone/", _n_plus_one_iterations(iterations)),
    }


def _flagged(detector: str, scenario: Any) -> bool | None:
    """Whether the detector reports anything on the scenario; None when it does not look for that kind."""
    if detector == "django-orm-analyzer":
        from runtime import detect

        with detect(root=str(ROOT), unused_eager=scenario.label == "unused_eager") as detection:
            scenario.run()
        return bool(detection.findings)
    if detector == "django-zeal":
        if scenario.label == "unused_eager":
            return None
        from zeal import NPlusOneError, zeal_context

        try:
            with zeal_context():
                scenario.run()
        except NPlusOneError:
            return True
        return False
    from nplusone.core.exceptions import NPlusOneError as NPlusOneOneError
    from nplusone.core.profiler import Profiler

    try:
        with Profiler():
            scenario.run()
    except NPlusOneOneError:
        return True
    return False


def score_one(detector: str) -> dict[str, Any]:
    """Run every labelled scenario under one detector, each on fresh rows rolled back afterwards."""
    _configure(detector, scoring=True)
    from django.db import transaction

    from tests.runtime.conftest import build_catalogue
    from tests.runtime.peer_scenarios import SCENARIOS

    flagged: dict[str, bool | None] = {}
    for scenario in SCENARIOS:
        with transaction.atomic():
            build_catalogue()
            if scenario.arrange is not None:
                scenario.arrange()
            flagged[scenario.name] = _flagged(detector, scenario)
            transaction.set_rollback(True)
    labels = [{"name": s.name, "source": s.source, "label": s.label, "disagreement": s.disagreement} for s in SCENARIOS]
    return {"flagged": flagged, "scenarios": labels}


def _measure(detector: str, iterations: int, mode: str = "--child") -> dict[str, Any]:
    command = [sys.executable, __file__, mode, detector, "--iterations", str(iterations)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.strip().splitlines() if line.strip()]
        return {"error": lines[-1] if lines else f"exit status {completed.returncode}"}
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _cell(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "-"
    return f"{value / base:.2f}x"


def table(results: dict[str, dict[str, Any]], iterations: int, rounds: int) -> str:
    import django

    django_version = django.get_version()
    baseline = results["none"]
    zeal = results["django-zeal"]
    header = " | ".join(f"{VIEW_TITLES[view]} ms | vs none | vs zeal" for view in VIEWS)
    lines = [
        f"Per-request median CPU time (thread time) over {iterations} (clean, loop) / "
        f"{_n_plus_one_iterations(iterations)} (N+1) requests, median of {rounds} interleaved rounds "
        f"(one subprocess per detector and round), {ROWS} books, "
        f"in-memory SQLite, Python {sys.version.split()[0]}, Django {django_version}.",
        "",
        f"| Detector | {header} |",
        "|---|" + "---|" * (3 * len(VIEWS)),
    ]
    for detector in DETECTORS:
        result = results[detector]
        if "error" in result:
            lines.append(f"| {detector} | crashed: {result['error']} |" + " |" * (3 * len(VIEWS) - 1))
            continue
        row = [detector]
        for view in VIEWS:
            value = result[view]
            row += [
                f"{value:.2f}",
                _cell(value, baseline.get(view)),
                _cell(value, zeal.get(view)),
            ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


SCORED = ("django-orm-analyzer", "django-zeal", "nplusone")
_GROUPS = (
    ("zeal", "n_plus_one", "N+1s found"),
    ("zeal", "clean", "false alarms"),
    ("nplusone", "n_plus_one", "N+1s found"),
    ("nplusone", "unused_eager", "unused eager loads found"),
    ("nplusone", "clean", "false alarms"),
)


def score_table(scores: dict[str, dict[str, Any]]) -> str:
    """N+1s found and false alarms per detector on the labelled scenarios, and where the detectors disagree."""
    scenarios = next(
        (result["scenarios"] for result in scores.values() if "scenarios" in result),
        [],
    )
    lines = [
        "Labelled scenarios modelled on each suite (tests/runtime/peer_scenarios.py); "
        "a false alarm is a finding on a scenario its source labels clean.",
        "",
        "| Scenarios | " + " | ".join(SCORED) + " |",
        "|---|" + "---|" * len(SCORED),
    ]
    for source, label, what in _GROUPS:
        group = [scenario for scenario in scenarios if scenario["source"] == source and scenario["label"] == label]
        cells = []
        for detector in SCORED:
            if "error" in scores[detector]:
                cells.append("crashed")
                continue
            flags = [scores[detector]["flagged"][scenario["name"]] for scenario in group]
            cells.append("-" if None in flags else str(sum(bool(flag) for flag in flags)))
        lines.append(f"| {source} {label.replace('_', ' ')} ({len(group)}): {what} | " + " | ".join(cells) + " |")
    lines += ["", "Scenarios where a detector's answer differs from the source's label:", ""]
    for scenario in scenarios:
        expected = scenario["label"] != "clean"
        answers = {detector: scores[detector].get("flagged", {}).get(scenario["name"]) for detector in SCORED}
        wrong = [detector for detector, flag in answers.items() if flag is not None and flag != expected]
        if wrong:
            why = f" ({scenario['disagreement']})" if scenario["disagreement"] else ""
            lines.append(f"- {scenario['source']} `{scenario['name']}` ({scenario['label']}): {', '.join(wrong)}{why}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=DETECTORS, help=argparse.SUPPRESS)
    parser.add_argument("--score-child", choices=SCORED, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.iterations)))
        return 0
    if args.score_child:
        print(json.dumps(score_one(args.score_child)))
        return 0
    # Rounds interleave the detectors so that a burst of load on the machine does not hit only one of them.
    rounds: dict[str, list[dict[str, Any]]] = {detector: [] for detector in DETECTORS}
    for _ in range(args.rounds):
        for detector in DETECTORS:
            rounds[detector].append(_measure(detector, args.iterations))
    results: dict[str, dict[str, Any]] = {}
    for detector, measured in rounds.items():
        failed = [result for result in measured if "error" in result]
        if failed:
            results[detector] = failed[0]
        else:
            results[detector] = {view: statistics.median(result[view] for result in measured) for view in VIEWS}
    text = table(results, args.iterations, args.rounds)
    scores = {detector: _measure(detector, args.iterations, "--score-child") for detector in SCORED}
    scored = score_table(scores)
    print(text)
    print(scored)
    RESULTS.write_text(f"# Runtime detector overhead\n\n{text}\n## Labelled scenarios\n\n{scored}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
