"""Events: building the ``FlowEvent`` records the rules read, for per-row loads and for queries in loops."""

from __future__ import annotations

from astroid import nodes

from analyzer.flow.core import FrameBase
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.support import expression_text, loop_line
from analyzer.flow.values import (
    Instance,
)
from analyzer.modelgraph import FieldInfo


class EventEmitter(FrameBase):
    """Records events."""

    def emit(
        self,
        kind: EventKind,
        node: nodes.NodeNG,
        instance: Instance,
        relation: FieldInfo,
        path: str,
        *,
        method: str | None = None,
        text: str | None = None,
    ) -> None:
        row = instance.row
        if row is None:
            return
        prefix_selected = bool(instance.prefix) and row.state.is_selected(instance.prefix)
        self.events.append(
            FlowEvent(
                kind=kind,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                text=text or expression_text(node),
                loop=row.loop,
                loop_line=loop_line(row.loop),
                model=relation.model,
                field=relation.name,
                target=relation.target,
                relation_path=path,
                origin=row.origin,
                method=method,
                prefix_selected=prefix_selected,
                through_prefetch=self.crosses_manager(row.state.model, instance.prefix),
                remote_field=relation.remote_field,
            )
        )

    def crosses_manager(self, model: str, prefix: str) -> bool:
        """True when a row path goes through a to-many relation: select_related cannot reach past it."""
        if not prefix:
            return False
        resolved = self.graph.resolve_path(model, prefix)
        return resolved is None or any(step.is_manager for step in resolved)

    def loop_event(self, kind: EventKind, node: nodes.NodeNG, loops: frozenset[nodes.NodeNG], **fields: object) -> None:
        active = [loop for loop in self.loops if loop in loops] or list(self.loops)
        loop = active[-1] if active else None
        self.events.append(
            FlowEvent(
                kind=kind,
                node=node,
                path=self.path,
                line=node.lineno or 0,
                loop=loop,
                loop_line=loop_line(loop),
                **fields,  # type: ignore[arg-type]
            )
        )
