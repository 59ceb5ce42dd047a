"""What the analysis understood of the project (a ``ProjectSummary``), and the warnings that say what it could not
see.

The summary names the settings module that was read and counts the models, apps, template folders, views,
serializers and admin classes found, so that a user can tell at a glance whether the analysis saw their project.
The warnings explain the silent blind spots in words: analysed paths that hold no models, models whose base class
or relation target lies outside the analysed paths, and templates that views render while no template folder was
found. Everything is read from the parsed modules and the model graph; nothing is imported.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from astroid import nodes

from analyzer.context import ProjectContext, call_keyword, nodes_of
from analyzer.findings import ProjectSummary
from analyzer.flow.names import NameResolver, last_name
from analyzer.modelgraph import FieldKind

# How many names a warning lists before "and N more".
LISTED = 3
_VIEW_MODULES = ("django.views.", "rest_framework.views.", "rest_framework.viewsets.", "rest_framework.generics.")
_VIEW_NAMES = frozenset({"View", "APIView", "ViewSet", "GenericViewSet", "ModelViewSet", "ReadOnlyModelViewSet"})
_SERIALIZER_MODULES = ("rest_framework.serializers.",)
_ADMIN_NAMES = frozenset({"ModelAdmin", "TabularInline", "StackedInline", "InlineModelAdmin"})
_RENDER_CALLS = frozenset({"render", "render_to_response", "render_to_string", "TemplateResponse", "get_template"})
_TEMPLATE_SUFFIXES = (".html", ".txt", ".xml", ".htm")
_MAX_CHAIN = 20
_DECLARED_RELATIONS = frozenset({FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE, FieldKind.MANY_TO_MANY})


def combine(summaries: Sequence[ProjectSummary]) -> ProjectSummary:
    """One summary for several projects analysed in one run (separate import roots)."""
    if len(summaries) == 1:
        return summaries[0]
    settings = next((summary.settings_module for summary in summaries if summary.settings_module), None)
    return ProjectSummary(
        settings_module=settings,
        models=sum(summary.models for summary in summaries),
        apps=sum(summary.apps for summary in summaries),
        template_folders=sum(summary.template_folders for summary in summaries),
        views=sum(summary.views for summary in summaries),
        serializers=sum(summary.serializers for summary in summaries),
        admin_classes=sum(summary.admin_classes for summary in summaries),
        warnings=tuple(dict.fromkeys(warning for summary in summaries for warning in summary.warnings)),
    )


def _counted(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return f"{shown} and {len(names) - LISTED} more" if len(names) > LISTED else shown


class _Classes:
    """The project's classes with the qualified names of every base, through the project's own classes."""

    def __init__(self, project: ProjectContext, resolver: NameResolver) -> None:
        self.project = project
        self.resolver = resolver
        self.memo: dict[str, frozenset[str]] = {}

    def all(self) -> Iterator[tuple[str, nodes.ClassDef]]:
        for modname, module in self.project.modules.items():
            for classdef in nodes_of(module, nodes.ClassDef):
                if isinstance(classdef.parent, nodes.Module):
                    yield modname, classdef

    def bases(self, modname: str, classdef: nodes.ClassDef, depth: int = 0) -> frozenset[str]:
        key = f"{modname}.{classdef.name}"
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = frozenset()  # a cycle of bases ends here
        found: set[str] = set()
        for base in classdef.bases:
            qualname = self.resolver.resolve_expr(modname, base)
            if qualname is None:
                continue
            found.add(qualname)
            definition = self.resolver.definition(qualname)
            if isinstance(definition, nodes.ClassDef) and depth < _MAX_CHAIN:
                found |= self.bases(definition.root().name, definition, depth + 1)
        self.memo[key] = frozenset(found)
        return self.memo[key]


def _is_view(bases: frozenset[str]) -> bool:
    return any(base.startswith(_VIEW_MODULES) or last_name(base) in _VIEW_NAMES for base in bases)


def _renders(function: nodes.FunctionDef) -> bool:
    for call in nodes_of(function, nodes.Call):
        name = call.func.name if isinstance(call.func, nodes.Name) else getattr(call.func, "attrname", "")
        if name in _RENDER_CALLS and call.scope() is function:
            return True
    return False


def _template_names(module: nodes.Module) -> Iterator[str]:
    """Template names a module mentions: ``template_name = "..."`` and the name given to a render call."""
    for assign in nodes_of(module, nodes.Assign):
        named = any(
            isinstance(target, nodes.AssignName) and target.name == "template_name" for target in assign.targets
        )
        if named and isinstance(assign.value, nodes.Const) and isinstance(assign.value.value, str):
            yield assign.value.value
    for call in nodes_of(module, nodes.Call):
        name = call.func.name if isinstance(call.func, nodes.Name) else getattr(call.func, "attrname", "")
        if name not in _RENDER_CALLS:
            continue
        for argument in [*call.args[:2], call_keyword(call, "template_name")]:
            if isinstance(argument, nodes.Const) and str(argument.value).endswith(_TEMPLATE_SUFFIXES):
                yield str(argument.value)


def _looks_like_model(classes: _Classes, modname: str, classdef: nodes.ClassDef) -> bool:
    """A class that declares Django fields (``name = models.CharField(...)``) in its body."""
    for statement in classdef.body:
        if isinstance(statement, nodes.Assign) and isinstance(statement.value, nodes.Call):
            qualname = classes.resolver.resolve_expr(modname, statement.value.func)
            if (
                qualname
                and qualname.startswith("django.db.models.")
                and last_name(qualname).endswith(("Field", "ForeignKey"))
            ):
                return True
    return False


def summarize(project: ProjectContext) -> ProjectSummary:
    """The summary of one project (one import root) of the run."""
    # The flow and the integrations load only when a group is parsed; a run answered from the cache needs neither.
    from analyzer.flow.evaluator import flow_for
    from analyzer.integrations.template_files import template_index

    graph = project.graph
    own_models = [info for info in graph.models.values() if info.qualname.rpartition(".")[0] in project.modules]
    classes = _Classes(project, flow_for(project).resolver)
    views = serializers = admins = 0
    unresolved_bases: list[str] = []
    for modname, classdef in classes.all():
        bases = classes.bases(modname, classdef)
        if not bases:
            continue
        if _is_view(bases):
            views += 1
        elif any(base.startswith(_SERIALIZER_MODULES) for base in bases):
            serializers += 1
        elif any(base.startswith("django.contrib.admin") and last_name(base) in _ADMIN_NAMES for base in bases):
            admins += 1
        elif graph.label_for_class(f"{modname}.{classdef.name}") is not None or _looks_like_model(
            classes, modname, classdef
        ):
            # A class that declares model fields is a model even on a base the analysis cannot read, but the fields
            # it inherits from that base are unknown. Django's own classes are known by name; a base outside both
            # the project and Django is the blind spot.
            outside = sorted(
                base for base in bases if classes.resolver.definition(base) is None and not base.startswith("django.")
            )
            if outside:
                unresolved_bases.append(f"{classdef.name} (base {outside[0]})")
    for module in project.modules.values():
        views += sum(
            1
            for function in module.body
            if isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)) and _renders(function)
        )
    folders = [folder for folder in dict.fromkeys(template_index(project).roots) if folder.is_dir()]
    warnings: list[str] = []
    if not own_models and project.files:
        warnings.append(
            "no Django models were found under the analysed paths, so no per-row query can be found; analyse the "
            "project's root folder, or the folders that hold its models as well"
        )
    if unresolved_bases:
        warnings.append(
            f"{_counted(len(unresolved_bases), 'model is', 'models are')} built on a base class not found under the "
            f"analysed paths, so the fields inherited from it are unknown: {_listed(unresolved_bases)}; analyse the "
            "folder that holds the base class as well"
        )
    unresolved_targets = [
        f"{info.name}.{relation.name}"
        for info in own_models
        for relation in info.fields.values()
        if relation.kind in _DECLARED_RELATIONS
        and relation.declared_in == info.qualname
        and graph.get(relation.target or "") is None
    ]
    if unresolved_targets:
        warnings.append(
            f"{_counted(len(unresolved_targets), 'relation points', 'relations point')} to a model not found under the "
            f"analysed paths, so what it loads is unknown: {_listed(sorted(unresolved_targets))}"
        )
    if not folders:
        referenced = sorted({name for module in project.modules.values() for name in _template_names(module)})
        if referenced:
            warnings.append(
                f"views render templates ({_listed(referenced)}) but no template folder was found, so templates are "
                "not checked (ORM110); set TEMPLATES DIRS or APP_DIRS in the settings, or name the settings module "
                "with --settings"
            )
    return ProjectSummary(
        settings_module=project.settings.module,
        models=len(own_models),
        apps=len({info.app_label for info in own_models}),
        template_folders=len(folders),
        views=views,
        serializers=serializers,
        admin_classes=admins,
        warnings=tuple(warnings),
    )
