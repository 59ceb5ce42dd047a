"""Per-request overhead of runtime N+1 detectors: none, this package's middleware, nplusone and django-zeal.

Each detector runs in its own subprocess (nplusone and zeal patch Django for the whole process when their app
loads), on the example project's models in an in-memory SQLite database seeded here. Two views are timed with the
test Client: a clean one (one query with select_related over ROWS books) and an N+1 one (one lazy author load per
book). The medians are printed as a table, with ratios against no detector and against zeal, and written to
benchmarks/runtime_results.md.

    venv/bin/python benchmarks/runtime_bench.py [--iterations N]
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


def _settings(detector: str) -> dict[str, Any]:
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
        extra.update(ZEAL_RAISE=False)
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

    def n_plus_one(request: HttpRequest) -> HttpResponse:
        return HttpResponse(",".join(book.author.name for book in Book.objects.all()))

    urlpatterns[:] = [path("clean/", clean), path("nplusone/", n_plus_one)]


def _seed() -> None:
    from catalog.models import Author, Book, Publisher
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    publisher = Publisher.objects.create(name="Press", country="NL")
    authors = Author.objects.bulk_create([Author(name=f"author{index}") for index in range(ROWS)])
    Book.objects.bulk_create(
        [
            Book(title=f"book{index}", isbn=f"{index:013d}", price=1, author=author, publisher=publisher)
            for index, author in enumerate(authors)
        ]
    )


def _time(client: Any, url: str, iterations: int) -> float:
    for _ in range(max(3, iterations // 10)):
        client.get(url)
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return statistics.median(samples) * 1000


def _n_plus_one_iterations(iterations: int) -> int:
    return max(10, iterations // 6)


def run_one(detector: str, iterations: int) -> dict[str, Any]:
    """Time both views under one detector (in this process); the result is printed as JSON by the child."""
    sys.path[:0] = [str(ROOT), str(ROOT / "example_project")]
    import django
    from django.conf import settings

    # Findings are reported on loggers and as warnings: measure the detection, not a console handler.
    for name in ("runtime", "nplusone", "zeal"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    warnings.simplefilter("ignore")
    settings.configure(**_settings(detector))
    django.setup()
    _define_views()
    _seed()
    from django.test import Client

    client = Client()
    return {
        "clean": _time(client, "/clean/", iterations),
        "nplusone": _time(client, "/nplusone/", _n_plus_one_iterations(iterations)),
    }


def _measure(detector: str, iterations: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", detector, "--iterations", str(iterations)]
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
    lines = [
        f"Per-request median over {iterations} (clean) / {_n_plus_one_iterations(iterations)} (N+1) requests, "
        f"median of {rounds} interleaved rounds (one subprocess per detector and round), {ROWS} books, "
        f"in-memory SQLite, Python {sys.version.split()[0]}, Django {django_version}.",
        "",
        "| Detector | Clean ms | vs none | vs zeal | N+1 ms | vs none | vs zeal |",
        "|---|---|---|---|---|---|---|",
    ]
    for detector in DETECTORS:
        result = results[detector]
        if "error" in result:
            lines.append(f"| {detector} | crashed: {result['error']} | | | | | |")
            continue
        row = [detector]
        for view in ("clean", "nplusone"):
            value = result[view]
            row += [
                f"{value:.2f}",
                _cell(value, baseline.get(view)),
                _cell(value, zeal.get(view)),
            ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=DETECTORS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_one(args.child, args.iterations)))
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
            results[detector] = {
                view: statistics.median(result[view] for result in measured) for view in ("clean", "nplusone")
            }
    text = table(results, args.iterations, args.rounds)
    print(text)
    RESULTS.write_text(f"# Runtime detector overhead\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
