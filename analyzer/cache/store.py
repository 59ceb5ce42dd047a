"""The on-disk result cache in ``.django-orm-analyzer-cache/``, so that a rerun does only the work a change needs.

Entries are JSON, written atomically (a temporary file renamed over the target) so that
concurrent runs never read half an entry:

* a *run* entry holds the raw findings and errors of a whole run, keyed by the analyzer's fingerprint, the
  configuration, the settings read, the template files and the content hash of every discovered file. A rerun
  with nothing changed reads it and builds no astroid tree at all.
* a *file* entry holds what the rules reported when checking one file, keyed by the same global parts plus the
  file's content hash and the content hashes of everything its findings can depend on (see ``analyzer.cache.keys``).

Three kinds support those: a *graph* entry holds a model graph, a *parse-index* entry records what the last run
of a group parsed and which graph it built (so that an edit far from the models parses only what it reaches), and
a *project* entry with its *project-index* holds the template, serializer and admin results and the modules they
were built from.

Entries are raw results, before ``noqa``, ``per-file-ignores``, the baseline and the runtime report are applied,
so those stay cheap to change. A corrupt or unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from analyzer.findings import FileError, Finding
from analyzer.modelgraph import FieldInfo, FieldKind, ModelGraph, ModelInfo

logger = logging.getLogger(__name__)

CACHE_DIR_NAME = ".django-orm-analyzer-cache"
CACHE_FORMAT = 1
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def combine(parts: Iterable[str]) -> str:
    """One hash for an ordered sequence of strings (hashes, names, reprs)."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\0")
    return hasher.hexdigest()


@cache
def analyzer_fingerprint() -> str:
    """The package version plus a hash of the analyzer's own source, so that any change to a rule, the flow or
    the graph builder invalidates the cache even when the version number has not moved."""
    try:
        version = metadata.version("django-orm-analyzer")
    except metadata.PackageNotFoundError:
        version = "unknown"
    sources = sorted(_PACKAGE_DIR.rglob("*.py"))
    return combine([version, *(f"{path.relative_to(_PACKAGE_DIR)}:{digest(path.read_bytes())}" for path in sources)])


def results_to_json(findings: Iterable[Finding], errors: Iterable[FileError]) -> dict[str, Any]:
    return {
        "findings": [finding.to_dict() for finding in findings],
        "errors": [asdict(error) for error in errors],
    }


def results_from_json(data: dict[str, Any]) -> tuple[list[Finding], list[FileError]]:
    findings = [Finding.from_dict(item) for item in data["findings"]]
    errors = [FileError(item["path"], item["message"]) for item in data["errors"]]
    return findings, errors


def _model_to_json(info: ModelInfo) -> dict[str, Any]:
    # ``asdict`` deep-copies every value; the graph is already plain data, so shallow copies are enough and several
    # times faster on a large project.
    data = dict(vars(info))
    data["fields"] = {name: dict(vars(item)) for name, item in info.fields.items()}
    return data


def graph_to_json(graph: ModelGraph) -> dict[str, Any]:
    return {
        "models": {label: _model_to_json(info) for label, info in graph.models.items()},
        "by_qualname": graph.by_qualname,
        "auth_user_model": graph.auth_user_model,
    }


def _model_from_json(data: dict[str, Any]) -> ModelInfo:
    ordering = data["ordering"]
    return ModelInfo(
        label=data["label"],
        app_label=data["app_label"],
        name=data["name"],
        qualname=data["qualname"],
        path=data["path"],
        line=data["line"],
        abstract=data["abstract"],
        proxy=data["proxy"],
        bases=tuple(data["bases"]),
        fields={name: FieldInfo(**{**item, "kind": FieldKind(item["kind"])}) for name, item in data["fields"].items()},
        managers=tuple(data["managers"]),
        has_str=data["has_str"],
        ordering=tuple(ordering) if ordering is not None else None,
        properties=dict(data["properties"]),
        methods=dict(data["methods"]),
        manager_classes={name: tuple(classes) for name, classes in data["manager_classes"].items()},
        parents=tuple(data["parents"]),
    )


def graph_from_json(data: dict[str, Any]) -> ModelGraph:
    """The inverse of ``graph_to_json``; raises KeyError, TypeError or ValueError on a malformed document."""
    return ModelGraph(
        models={label: _model_from_json(item) for label, item in data["models"].items()},
        by_qualname=dict(data["by_qualname"]),
        auth_user_model=data["auth_user_model"],
    )


class ResultCache:
    """Entries under one cache folder; keys are hex hashes, values JSON objects."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / key[:2] / f"{key}.json"

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        path = self._path(kind, key)
        try:
            document = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.debug("ignoring unreadable cache entry %s: %s", path, error, extra={"path": str(path)})
            return None
        if not isinstance(document, dict) or document.get("format") != CACHE_FORMAT:
            return None
        payload = document.get("payload")
        return payload if isinstance(payload, dict) else None

    def has(self, kind: str, key: str) -> bool:
        return self._path(kind, key).is_file()

    def discard(self, kind: str, key: str) -> None:
        try:
            self._path(kind, key).unlink(missing_ok=True)
        except OSError as error:
            logger.warning("cannot remove cache entry %s: %s", key, error, extra={"kind": kind, "key": key})

    def put(self, kind: str, key: str, payload: dict[str, Any]) -> None:
        path = self._path(kind, key)
        try:
            self._ensure_folder(path.parent)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    # One-shot dumps uses the C encoder; dump() streams through the pure-Python one.
                    stream.write(json.dumps({"format": CACHE_FORMAT, "payload": payload}, separators=(",", ":")))
                os.replace(temporary, path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            # A read-only checkout or a full disk makes the next run slower, not wrong.
            logger.warning("cannot write cache entry %s: %s", path, error, extra={"path": str(path)})

    def _ensure_folder(self, folder: Path) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
            # Keep the cache out of version control even where .gitignore does not list it.
            (self.folder / ".gitignore").write_text("*\n", encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
