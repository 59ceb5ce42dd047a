"""Static pass benchmark: our cold, warm and one-file-changed runs on wagtail 8.0.1, scaling over 1x/2x/4x copies of
the tree, and the peers (django-orm-lens, djch, pylint + pylint-django) on the same tree in the same run; then our
cold and warm runs and the peers on netbox 4.7.3 (its wheel from the package index, which ships the apps as
top-level packages), with each of our runs as a ratio of django-orm-lens's on the same tree.

Usage: ``venv/bin/python benchmarks/static_bench.py [--quick] [--timeout SECONDS] [--jobs N]``

Everything downloaded or unpacked lives in ``benchmarks/.work/`` (git-ignored): the pinned wagtail wheel, the
unpacked copies and a ``peers-venv`` with the pinned peers. Each tool runs in a subprocess with a timeout; wall
time is measured with ``time.perf_counter`` and peak memory as the largest sum of the resident set sizes of the
process and all its descendants (read from ``/proc`` every 20 ms). A peer that cannot be installed or that fails
is reported in the table, not a crash. Results go to ``benchmarks/results.md`` and ``benchmarks/static_chart.png``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
import venv
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
WORK = HERE / ".work"
PYTHON = REPOSITORY / "venv" / "bin" / "python"
WAGTAIL_VERSION = "8.0.1"
WAGTAIL_WHEEL = f"wagtail-{WAGTAIL_VERSION}-py3-none-any.whl"
NETBOX_VERSION = "4.7.3"
NETBOX_WHEEL = f"netbox-{NETBOX_VERSION}-py3-none-any.whl"
PEERS_VENV = WORK / "peers-venv"
PEER_REQUIREMENTS = {
    "django-orm-lens": "django-orm-lens==1.13.5",
    "djch": "djch==0.1.9",
    "pylint": "pylint>=3,<4",
    "pylint-django": "pylint-django>=2.5,<3",
}
CACHE_DIR = ".django-orm-analyzer-cache"
# A module no other wagtail module imports and that holds no view, template, serializer, admin or pagination
# word: editing it invalidates only its own cache entry.
LEAF_FILE = Path("wagtail/tests/test_locale_model.py")
# A model module: editing it invalidates every file entry (the model graph feeds every file).
MODEL_FILE = Path("wagtail/models/media.py")
LOCATION = re.compile(r"\.py:\d+")
ANNOTATION = re.compile(r"^::(?:warning|error|notice) ", re.MULTILINE)


@dataclass
class Measurement:
    tool: str
    scenario: str
    seconds: float | None = None
    peak_rss_mib: float | None = None
    peak_pss_mib: float | None = None
    findings: int | None = None
    note: str = ""
    files: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _memory_kib(pid: int) -> tuple[int, int]:
    """A process's resident set size and proportional set size (shared pages divided among their sharers)."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as stream:
            for line in stream:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def _tree_memory_kib(pid: int) -> tuple[int, int]:
    total_rss = total_pss = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        rss, pss = _memory_kib(current)
        total_rss += rss
        total_pss += pss
        pending.extend(_children(current))
    return total_rss, total_pss


@dataclass
class Completed:
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int  # largest sum of RSS over the process tree (pages shared by forked workers count twice)
    peak_pss_kib: int  # largest sum of PSS: what the tree really holds
    timed_out: bool


def run_measured(command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None) -> Completed:
    """Run a command, sampling the summed RSS of its process tree until it exits or the timeout kills it."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    peak = peak_pss = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not stop.is_set():
            rss, pss = _tree_memory_kib(process.pid)
            peak = max(peak, rss)
            peak_pss = max(peak_pss, pss)
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, 9)
        stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    return Completed(process.returncode, stdout, stderr, seconds, peak, peak_pss, timed_out)


# -- the tree -----------------------------------------------------------------------------------------------------
def downloaded_wheel(requirement: str, filename: str, *pip_options: str) -> Path:
    """``benchmarks/.work/wheels/<filename>``, downloaded from the package index (without dependencies) once."""
    wheels = WORK / "wheels"
    wheel = wheels / filename
    if not wheel.is_file():
        wheels.mkdir(parents=True, exist_ok=True)
        command = [str(PYTHON), "-m", "pip", "download", requirement, "--no-deps", *pip_options, "-d", str(wheels)]
        subprocess.run(command, check=True)
    return wheel


def wagtail_wheel() -> Path:
    return downloaded_wheel(f"wagtail=={WAGTAIL_VERSION}", WAGTAIL_WHEEL)


def netbox_tree() -> Path:
    """``benchmarks/.work/netbox``: the netbox wheel's packages (netbox declares Python 3.12+, so the pure-Python
    wheel is asked for as for 3.12; nothing of it is installed or run)."""
    root = WORK / "netbox"
    marker = root / ".complete"
    if marker.is_file():
        return root
    wheel = downloaded_wheel(
        f"netbox=={NETBOX_VERSION}", NETBOX_WHEEL, "--python-version", "3.12", "--only-binary", ":all:"
    )
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(root, [name for name in archive.namelist() if ".dist-info/" not in name])
    marker.touch()
    return root


def tree(copies: int) -> Path:
    """``benchmarks/.work/wagtail-<n>x``: the wheel's wagtail package, plus n-1 renamed copies (wagtail_c1, ...)
    whose imports are rewritten so that each copy is a self-contained package with its own module names."""
    root = WORK / f"wagtail-{copies}x"
    marker = root / ".complete"
    if marker.is_file():
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    with zipfile.ZipFile(wagtail_wheel()) as archive:
        members = [name for name in archive.namelist() if name.startswith("wagtail/")]
        archive.extractall(root, members)
    pattern = re.compile(r"\bwagtail\b(?=[.\s,)]|$)", re.MULTILINE)
    for number in range(1, copies):
        name = f"wagtail_c{number}"
        shutil.copytree(root / "wagtail", root / name)
        for path in (root / name).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            path.write_text(pattern.sub(name, text), encoding="utf-8")
    marker.touch()
    return root


# -- our runs -----------------------------------------------------------------------------------------------------
def snapshot_analyzer() -> Path:
    """A copy of the analyzer's source for this benchmark run: the cache key includes the analyzer's own source,
    so measuring from a fixed copy keeps warm runs warm while the working tree is being edited."""
    target = WORK / "analyzer-snapshot"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(REPOSITORY / "analyzer", target / "analyzer", ignore=shutil.ignore_patterns("__pycache__"))
    return target


SNAPSHOT: Path | None = None


def ours(root: Path, scenario: str, timeout: float, jobs: int | None, *, cache: bool = True) -> Measurement:
    command = [str(PYTHON), "-m", "analyzer", ".", "--format", "json", "--exit-zero"]
    if jobs:
        command += ["--jobs", str(jobs)]
    if not cache:
        command.append("--no-cache")
    env = {**os.environ, "PYTHONPATH": str(SNAPSHOT or REPOSITORY)}
    completed = run_measured(command, root, timeout, env)
    measurement = Measurement(
        "django-orm-analyzer",
        scenario,
        peak_rss_mib=completed.peak_kib / 1024,
        peak_pss_mib=completed.peak_pss_kib / 1024,
    )
    if completed.timed_out:
        measurement.note = f"timed out after {timeout:.0f}s"
        return measurement
    measurement.seconds = completed.seconds
    try:
        document = json.loads(completed.stdout)
    except json.JSONDecodeError:
        measurement.note = f"exit {completed.returncode}: {completed.stderr.strip()[-200:]}"
        return measurement
    measurement.findings = len(document["findings"])
    measurement.files = document["summary"]["files"]
    return measurement


def touch(path: Path) -> None:
    """Change a file's content (a trailing comment with the time), so its content hash changes."""
    with path.open("a", encoding="utf-8") as stream:
        stream.write(f"# benchmark edit {time.time_ns()}\n")


def our_scenarios(root: Path, timeout: float, jobs: int | None) -> list[Measurement]:
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    results = [ours(root, "cold (no cache)", timeout, jobs, cache=False)]
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    results.append(ours(root, "cold, writing the cache", timeout, jobs))
    results.append(ours(root, "warm, nothing changed", timeout, jobs))
    leaf = root / LEAF_FILE
    original = leaf.read_bytes()
    try:
        touch(leaf)
        results.append(ours(root, f"one leaf file changed ({LEAF_FILE.name})", timeout, jobs))
    finally:
        leaf.write_bytes(original)
    model = root / MODEL_FILE
    original = model.read_bytes()
    try:
        results.append(ours(root, "warm again (file restored)", timeout, jobs))
        touch(model)
        results.append(ours(root, f"one model file changed ({MODEL_FILE.name})", timeout, jobs))
    finally:
        model.write_bytes(original)
    return results


# -- the peers ----------------------------------------------------------------------------------------------------
def peers_environment() -> tuple[Path, dict[str, str]]:
    """The peers' virtualenv and, per peer, why it could not be installed (empty when it was)."""
    python = PEERS_VENV / "bin" / "python"
    if not python.is_file():
        venv.create(PEERS_VENV, with_pip=True)
    failures: dict[str, str] = {}
    for name, requirement in PEER_REQUIREMENTS.items():
        completed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            failures[name] = (completed.stderr.strip().splitlines() or ["pip failed"])[-1][:160]
    return PEERS_VENV / "bin", failures


def peer(tool: str, command: list[str], cwd: Path, timeout: float, count: re.Pattern[str] = LOCATION) -> Measurement:
    if not Path(command[0]).is_file():
        return Measurement(tool, "cold", note=f"not installed: {command[0]} missing")
    completed = run_measured(command, cwd, timeout)
    measurement = Measurement(
        tool, "cold", peak_rss_mib=completed.peak_kib / 1024, peak_pss_mib=completed.peak_pss_kib / 1024
    )
    if completed.timed_out:
        measurement.note = f"timed out after {timeout:.0f}s"
        return measurement
    measurement.seconds = completed.seconds
    output = completed.stdout + completed.stderr
    measurement.findings = len(count.findall(output))
    if completed.returncode not in (0, 1) and not measurement.findings:
        measurement.note = f"exit {completed.returncode}: {output.strip()[-160:]}"
    return measurement


def peer_runs(root: Path, timeout: float, *, with_pylint: bool, package: str = "wagtail") -> list[Measurement]:
    bin_folder, failures = peers_environment()
    runs: list[Measurement] = []
    for tool, build in (
        (
            "django-orm-lens",
            lambda: [
                str(bin_folder / "django-orm-lens"),
                "nplusone",
                "--path",
                package,
                "--format",
                "github",
                "--exit-zero",
            ],
        ),
        ("djch", lambda: [str(bin_folder / "djch"), "check"]),
    ):
        if tool in failures:
            runs.append(Measurement(tool, "cold", note=f"install failed: {failures[tool]}"))
        else:
            pattern = ANNOTATION if tool == "django-orm-lens" else LOCATION
            runs.append(peer(tool, build(), root, timeout, pattern))
    if with_pylint:
        broken = [name for name in ("pylint", "pylint-django") if name in failures]
        if broken:
            runs.append(Measurement("pylint -j 2", "cold", note=f"install failed: {failures[broken[0]]}"))
        else:
            command = [
                str(bin_folder / "pylint"),
                "-j",
                "2",
                "--load-plugins=pylint_django",
                "--disable=all",
                "--enable=unnecessary-pass",
                "--score=n",
                "wagtail",
            ]
            runs.append(peer("pylint -j 2 (one check)", command, root, timeout, re.compile(r"W0107")))
    return runs


# -- the report ---------------------------------------------------------------------------------------------------
def _seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def table(rows: list[Measurement], reference: float | None) -> str:
    lines = [
        "| Tool | Scenario | Files | Seconds | vs our cold run | Peak PSS MiB | Peak RSS MiB | Findings | Note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = f"{row.seconds / reference:.2f}x" if row.seconds and reference else "—"
        memory = f"{row.peak_rss_mib:.0f}" if row.peak_rss_mib else "—"
        proportional = f"{row.peak_pss_mib:.0f}" if row.peak_pss_mib else "—"
        findings = str(row.findings) if row.findings is not None else "—"
        files = str(row.files) if row.files is not None else "—"
        lines.append(
            f"| {row.tool} | {row.scenario} | {files} | {_seconds(row.seconds)} | {ratio} | {proportional} | "
            f"{memory} | {findings} | {row.note} |"
        )
    return "\n".join(lines)


def lens_ratios(project: str, rows: list[Measurement]) -> str:
    """One line per project: our cold and warm runs as a ratio of django-orm-lens's cold run in the same run."""
    lens = next((row.seconds for row in rows if row.tool == "django-orm-lens" and row.seconds), None)
    mine = {row.scenario: row.seconds for row in rows if row.tool == "django-orm-analyzer"}
    cold, warm = mine.get("cold (no cache)"), mine.get("warm, nothing changed")
    if lens is None or cold is None:
        return f"- {project}: no django-orm-lens figure in this run\n"
    warm_text = f", warm {warm / lens:.2f}x ({warm:.2f}s)" if warm is not None else ""
    return f"- {project}: ours cold {cold / lens:.2f}x django-orm-lens ({cold:.2f}s vs {lens:.2f}s){warm_text}\n"


def chart(rows: list[Measurement], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [row for row in rows if row.seconds is not None]
    labels = [f"{row.tool}\n{row.scenario}" for row in shown]
    figure, axes = plt.subplots(figsize=(10, 0.5 * len(shown) + 1.5))
    axes.barh(labels, [row.seconds or 0 for row in shown], color="#4a7ab5")
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.set_xlabel("wall time, seconds (log scale)")
    axes.set_title(f"Static pass on wagtail {WAGTAIL_VERSION} ({os.cpu_count()} cores)")
    for index, row in enumerate(shown):
        axes.text(row.seconds or 0, index, f" {row.seconds:.2f}s", va="center", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1x and 2x only, no pylint (a few minutes less)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per tool run (default 600)")
    parser.add_argument("--jobs", type=int, help="--jobs for our runs (default: all cores)")
    parser.add_argument("--no-peers", action="store_true", help="measure only our runs")
    options = parser.parse_args(argv)

    WORK.mkdir(parents=True, exist_ok=True)
    global SNAPSHOT
    SNAPSHOT = snapshot_analyzer()
    one = tree(1)
    rows = our_scenarios(one, options.timeout, options.jobs)
    reference = rows[0].seconds
    for copies in (2,) if options.quick else (2, 4):
        root = tree(copies)
        measurement = ours(root, f"cold, {copies}x the tree", options.timeout, options.jobs, cache=False)
        if measurement.seconds and reference:
            measurement.note = f"{measurement.seconds / reference / copies:.2f} of linear"
        rows.append(measurement)
    if not options.no_peers:
        rows += peer_runs(one, options.timeout, with_pylint=not options.quick)

    netbox = netbox_tree()
    shutil.rmtree(netbox / CACHE_DIR, ignore_errors=True)
    netbox_rows = [ours(netbox, "cold (no cache)", options.timeout, options.jobs, cache=False)]
    netbox_rows.append(ours(netbox, "cold, writing the cache", options.timeout, options.jobs))
    netbox_rows.append(ours(netbox, "warm, nothing changed", options.timeout, options.jobs))
    if not options.no_peers:
        netbox_rows += peer_runs(netbox, options.timeout, with_pylint=False, package=".")
    ratios = lens_ratios("wagtail", rows) + lens_ratios("netbox", netbox_rows)
    for row in netbox_rows:
        row.scenario = f"netbox: {row.scenario}"

    report = table(rows, reference) + "\n\n" + ratios + "\n" + table(netbox_rows, netbox_rows[0].seconds)
    header = (
        f"# Static pass benchmark\n\n"
        f"wagtail {WAGTAIL_VERSION} from PyPI ({rows[0].files} Python files analysed, migrations excluded), "
        f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}.\n"
        f"Generated by `venv/bin/python benchmarks/static_bench.py{' --quick' if options.quick else ''}`. "
        "Peak memory is the largest sum over the process and its workers, as PSS (shared pages divided among the "
        "processes sharing them) and as RSS (pages shared by forked workers counted in each). "
        '"of linear" is the time per copy relative to the 1x cold run (1.00 = exactly linear).\n\n'
    )
    (HERE / "results.md").write_text(header + report + "\n", encoding="utf-8")
    chart(rows, HERE / "static_chart.png")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
