"""Whether one module feeds the project-wide integrations, so the cache layer can tell when their cached results still
hold after an edit.

The template, serializer, admin, GraphQL and table results are built from the modules that hold a render, a viewset
with serializer reads, an admin registration, a graphene list field or a table view
(``render_values.contributors``) and from what the flow reaches from those: their imports, the model graph and the
templates. A module outside that set that was edited changes nothing as long as it does not become a contributor
itself, which this module checks on that one module.
"""

from __future__ import annotations

from dataclasses import replace

from astroid import nodes

from analyzer.context import ProjectContext, nodes_of
from analyzer.flow.evaluator import flow_for
from analyzer.integrations.admin import registered_models
from analyzer.integrations.drf import viewset_reads
from analyzer.integrations.graphql import graphql_list_fields
from analyzer.integrations.tables import table_views
from analyzer.integrations.views import class_renders, function_renders


def module_contributes(project: ProjectContext, modname: str, display_path: str) -> bool:
    """True when the module holds a render, a viewset with serializer reads, an admin registration, a graphene list
    field of a Django type or a django-tables2 table view.

    It runs on a copy of the project with a fresh memo, so that the flow values it evaluates on the way never
    stand in for the ones a full computation would build in file order.
    """
    module = project.modules.get(modname)
    if module is None:
        return False
    flow = flow_for(replace(project, memo={}))
    try:
        if function_renders(flow, module, display_path) or class_renders(flow, module, display_path):
            return True
        if registered_models(flow, module):
            return True
        if graphql_list_fields(flow, module) or table_views(flow, module):
            return True
        return any(viewset_reads(flow, classdef) for classdef in nodes_of(module, nodes.ClassDef) if classdef.bases)
    except RecursionError:
        # Too deep to tell: treat it as a contributor, which only costs a recomputation.
        return True
