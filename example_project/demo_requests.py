"""Show the middleware at work: start the dev server on loopback, request N+1 pages and their fixed twins, stop.

Run from the repository root (``make demo`` does): ``venv/bin/python example_project/demo_requests.py --db PATH``.
The server's log lines from the ``runtime`` logger are printed per request, and its report is written to
``--report``. Only 127.0.0.1 is contacted, with a bounded number of requests and a bounded wait.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parent
PAGES = [
    ("/books/", "function view, template loop reads book.author"),
    ("/books/select-related/", "its fixed twin"),
    ("/reviews/", "ListView, template loop reads review.reviewer"),
    ("/reviews/select-related/", "its fixed twin"),
    ("/api/books/", "DRF viewset, serializer field source='author.name'"),
    ("/api/books-select-related/", "its fixed twin"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"the dev server did not start on 127.0.0.1:{port} within {seconds:.0f} s")


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the SQLite database with the demo data")
    parser.add_argument("--report", required=True, help="where the middleware writes its runtime report")
    options = parser.parse_args()
    log_path = Path(options.report).with_suffix(".log")
    report = Path(options.report).resolve()
    report.unlink(missing_ok=True)
    port = free_port()
    environment = {
        **os.environ,
        "SQLITE_PATH": str(Path(options.db).resolve()),
        "ORM_ANALYZER_REPORT": str(report),
        "DJANGO_DEBUG": "1",
    }
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=PROJECT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(port, 30)
            for path, what in PAGES:
                before = log_path.read_text(encoding="utf-8").count("N+1 detected")
                status = fetch(f"http://127.0.0.1:{port}{path}")
                time.sleep(0.3)  # let the server flush the request's log lines
                lines = [line for line in log_path.read_text(encoding="utf-8").splitlines() if "N+1 detected" in line]
                new = lines[before:]
                print(f"GET {path} -> {status}: {len(new)} N+1 ({what})")
                for line in new:
                    print(f"    {line.strip()}")
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"middleware report: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
