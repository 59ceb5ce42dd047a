"""The result cache, a layer around the pipeline's stages: the on-disk entries (``store``), their keys (``keys``),
the partial parse after an edit far from the models (``partial``), the reused integration results (``project``) and
the layer the pipeline talks to (``layer``). The pipeline itself never reads or writes an entry."""

from __future__ import annotations

from analyzer.cache.store import CACHE_DIR_NAME, ResultCache, graph_from_json, graph_to_json

__all__ = ["CACHE_DIR_NAME", "ResultCache", "graph_from_json", "graph_to_json"]
