"""Builds the project's ModelGraph from parsed modules, without importing them.

Model classes are found by resolving base classes through the project's own imports (``NameResolver``); Django's
``Model`` and field classes are recognised by their qualified names, never by reading Django's source. Fields,
relation targets ("app.Model", "self", ``settings.AUTH_USER_MODEL``, classes), reverse accessors, abstract and
concrete inheritance, proxies, managers, properties and methods are collected into plain data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from astroid import nodes

from analyzer.context import SettingsInfo, call_keyword
from analyzer.contrib_models import CONTRIB_ABSTRACT_BASES, contrib_models, field_from_spec
from analyzer.flow.names import NameResolver, last_name
from analyzer.modelgraph import FieldInfo, FieldKind, ModelGraph, ModelInfo

logger = logging.getLogger(__name__)

MODEL_ROOTS = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
FOREIGN_KEY_CLASSES = frozenset({"ForeignKey", "ParentalKey"})
ONE_TO_ONE_CLASSES = frozenset({"OneToOneField"})
MANY_TO_MANY_CLASSES = frozenset({"ManyToManyField", "ParentalManyToManyField"})
GENERIC_FOREIGN_KEY_CLASSES = frozenset({"GenericForeignKey"})
GENERIC_RELATION_CLASSES = frozenset({"GenericRelation"})
_CONTRIB_QUALNAMES = {
    "django.contrib.auth.models.User": "auth.User",
    "django.contrib.auth.models.Group": "auth.Group",
    "django.contrib.auth.models.Permission": "auth.Permission",
    "django.contrib.contenttypes.models.ContentType": "contenttypes.ContentType",
    "django.contrib.sessions.models.Session": "sessions.Session",
    "django.contrib.sites.models.Site": "sites.Site",
    "django.contrib.admin.models.LogEntry": "admin.LogEntry",
}
_PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
# Bases that never make a class a model, even when its body assigns calls that look like fields.
_PLAIN_BASES = frozenset({"typing.Generic", "typing.Protocol", "abc.ABC"})
_MAX_DEPTH = 30


@dataclass(frozen=True)
class _DeclaredField:
    """A field as written in a class body; ``raw_target`` is resolved per concrete model ("self", "Model")."""

    info: FieldInfo
    raw_target: str | None
    symmetrical: bool = True
    parent_link: bool = False


@dataclass
class _ClassEntry:
    qualname: str
    modname: str
    node: nodes.ClassDef
    bases: list[str | None]
    base_nodes: list[nodes.NodeNG]


def _const(node: nodes.NodeNG | None) -> object:
    if isinstance(node, nodes.Const):
        return node.value
    return None


def _meta_options(classdef: nodes.ClassDef) -> dict[str, nodes.NodeNG]:
    options: dict[str, nodes.NodeNG] = {}
    for statement in classdef.body:
        if isinstance(statement, nodes.ClassDef) and statement.name == "Meta":
            for item in statement.body:
                if isinstance(item, nodes.Assign):
                    for target in item.targets:
                        if isinstance(target, nodes.AssignName):
                            options[target.name] = item.value
    return options


def _string_tuple(node: nodes.NodeNG | None) -> tuple[str, ...] | None:
    if isinstance(node, (nodes.List, nodes.Tuple)):
        values = [_const(element) for element in node.elts]
        if all(isinstance(value, str) for value in values):
            return tuple(str(value) for value in values)
    return None


def _installed_app_module(entry: str) -> str:
    """ "catalog.apps.CatalogConfig" -> "catalog"; plain module paths stay as they are."""
    parts = entry.split(".")
    if len(parts) >= 2 and parts[-1].endswith("Config"):
        parts = parts[:-1]
        if parts[-1] == "apps":
            parts = parts[:-1]
    return ".".join(parts)


class _GraphBuilder:
    def __init__(self, modules: dict[str, nodes.Module], settings: SettingsInfo) -> None:
        self.modules = modules
        self.settings = settings
        self.resolver = NameResolver(modules)
        self.classes: dict[str, _ClassEntry] = {}
        self._is_model: dict[str, bool] = {}
        self._field_class: dict[str, str | None] = {}
        self.labels: dict[str, str] = {}  # class qualname -> label
        self.declared: dict[str, list[_DeclaredField]] = {}
        self.apps = sorted((_installed_app_module(app) for app in settings.installed_apps), key=len, reverse=True)

    # -- discovery -------------------------------------------------------------------------------------------
    def collect_classes(self) -> None:
        for modname in self.modules:
            names = self.resolver.names(modname)
            if names is None:
                continue
            for name, node in names.definitions.items():
                if isinstance(node, nodes.ClassDef):
                    qualname = f"{modname}.{name}"
                    bases = [self._resolve(modname, base) for base in node.bases]
                    self.classes[qualname] = _ClassEntry(qualname, modname, node, bases, list(node.bases))

    def _resolve(self, modname: str, expr: nodes.NodeNG) -> str | None:
        if isinstance(expr, nodes.Call):
            # ``Manager.from_queryset(QS)`` as a base: the manager class it derives from.
            return self._resolve(modname, expr.func.expr) if isinstance(expr.func, nodes.Attribute) else None
        if isinstance(expr, nodes.Subscript):  # Generic[...] style bases
            return self._resolve(modname, expr.value)
        return self.resolver.resolve_expr(modname, expr)

    def is_model(self, qualname: str | None, depth: int = 0) -> bool:
        """True for Model itself, contrib abstract bases and project classes deriving from them."""
        if qualname is None or depth > _MAX_DEPTH:
            return False
        if qualname in MODEL_ROOTS:
            return True
        if qualname in self._is_model:
            return self._is_model[qualname]
        entry = self.classes.get(qualname)
        if entry is None:
            return qualname in CONTRIB_ABSTRACT_BASES
        self._is_model[qualname] = False  # guards against cycles
        result = any(self.is_model(base, depth + 1) for base in entry.bases) or self._is_model_by_fields(entry)
        self._is_model[qualname] = result
        return result

    def _is_model_by_fields(self, entry: _ClassEntry) -> bool:
        """A class on a base the analysis cannot read (a third-party soft-delete or timestamp model, a base bound
        to a variable: ``ModelBase = import_from_setting(...)``) is a model when its body declares model fields."""
        unreadable = [
            node
            for base, node in zip(entry.bases, entry.base_nodes, strict=True)
            if not (isinstance(node, nodes.Name) and node.name == "object")
            and base not in self.classes
            and base not in MODEL_ROOTS
            and base not in _PLAIN_BASES
        ]
        if not unreadable:
            return False
        return any(self._declares_model_field(entry, statement) for statement in entry.node.body)

    def _declares_model_field(self, entry: _ClassEntry, statement: nodes.NodeNG) -> bool:
        value = statement.value if isinstance(statement, (nodes.Assign, nodes.AnnAssign)) else None
        if not isinstance(value, nodes.Call):
            return False
        callee = self._resolve(entry.modname, value.func)
        if callee is None:
            return False
        field_class = self.field_class(callee)
        if field_class is None:
            return False
        # Form and serializer fields share the names (CharField); model fields come from django.db.models, and
        # relations are named for what they are wherever they come from (ForeignKey, ParentalKey).
        return callee.startswith("django.db.models.") or field_class in self._known_field_names()

    def app_label(self, entry: _ClassEntry) -> str:
        explicit = _const(_meta_options(entry.node).get("app_label"))
        if isinstance(explicit, str):
            return explicit
        for app in self.apps:
            if entry.modname == app or entry.modname.startswith(f"{app}."):
                return app.rpartition(".")[2]
        parts = entry.modname.split(".")
        if "models" in parts[1:]:
            return parts[parts.index("models", 1) - 1]
        return parts[0]

    # -- fields ----------------------------------------------------------------------------------------------
    def field_class(self, qualname: str | None, depth: int = 0) -> str | None:
        """The Django field class a callee stands for ("ForeignKey"), following project subclasses."""
        if qualname is None or depth > _MAX_DEPTH:
            return None
        if qualname in self._field_class:
            return self._field_class[qualname]
        name = last_name(qualname)
        entry = self.classes.get(qualname)
        result: str | None = None
        if entry is not None and not self._looks_like_field(name):
            self._field_class[qualname] = None
            for base in entry.bases:
                result = self.field_class(base, depth + 1)
                if result is not None:
                    break
        elif self._looks_like_field(name):
            result = name
        self._field_class[qualname] = result
        return result

    @staticmethod
    def _known_field_names() -> frozenset[str]:
        return (
            FOREIGN_KEY_CLASSES
            | ONE_TO_ONE_CLASSES
            | MANY_TO_MANY_CLASSES
            | GENERIC_FOREIGN_KEY_CLASSES
            | GENERIC_RELATION_CLASSES
        )

    def _looks_like_field(self, name: str) -> bool:
        return name in self._known_field_names() or (name.endswith("Field") and name[:1].isupper())

    def declared_fields(self, entry: _ClassEntry) -> list[_DeclaredField]:
        found: list[_DeclaredField] = []
        path = self.modules[entry.modname].file
        for statement in entry.node.body:
            if isinstance(statement, nodes.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, nodes.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            if not isinstance(target, nodes.AssignName) or not isinstance(value, nodes.Call):
                continue
            declared = self._declared_field(entry, target.name, value, path)
            if declared is not None:
                found.append(declared)
        return found

    def _declared_field(self, entry: _ClassEntry, name: str, call: nodes.Call, path: str) -> _DeclaredField | None:
        callee = self._resolve(entry.modname, call.func)
        if callee is None and isinstance(call.func, (nodes.Name, nodes.Attribute)):
            callee = call.func.name if isinstance(call.func, nodes.Name) else call.func.attrname
        field_class = self.field_class(callee)
        if field_class is None:
            return None
        if field_class in FOREIGN_KEY_CLASSES:
            kind = FieldKind.FOREIGN_KEY
        elif field_class in ONE_TO_ONE_CLASSES:
            kind = FieldKind.ONE_TO_ONE
        elif field_class in MANY_TO_MANY_CLASSES:
            kind = FieldKind.MANY_TO_MANY
        elif field_class in GENERIC_FOREIGN_KEY_CLASSES:
            kind = FieldKind.GENERIC_FOREIGN_KEY
        elif field_class in GENERIC_RELATION_CLASSES:
            kind = FieldKind.GENERIC_RELATION
        else:
            kind = FieldKind.FIELD
        raw_target: str | None = None
        through: str | None = None
        if kind in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE, FieldKind.MANY_TO_MANY, FieldKind.GENERIC_RELATION):
            target_node = call.args[0] if call.args else call_keyword(call, "to")
            raw_target = self._raw_target(entry.modname, target_node)
            through_node = call_keyword(call, "through")
            through = self._raw_target(entry.modname, through_node) if through_node is not None else None
        related_name = _const(call_keyword(call, "related_name"))
        related_query_name = _const(call_keyword(call, "related_query_name"))
        symmetrical = _const(call_keyword(call, "symmetrical"))
        info = FieldInfo(
            name=name,
            kind=kind,
            model="",
            null=_const(call_keyword(call, "null")) is True,
            related_name=related_name if isinstance(related_name, str) else None,
            related_query_name=related_query_name if isinstance(related_query_name, str) else None,
            through=through,
            declared_in=entry.qualname,
            path=path,
            line=call.lineno,
            field_class=field_class,
            unique=kind is FieldKind.ONE_TO_ONE or _const(call_keyword(call, "unique")) is True,
            blank=_const(call_keyword(call, "blank")) is True,
        )
        return _DeclaredField(
            info,
            raw_target,
            symmetrical=symmetrical is not False,
            parent_link=_const(call_keyword(call, "parent_link")) is True,
        )

    def _raw_target(self, modname: str, node: nodes.NodeNG | None) -> str | None:
        if node is None:
            return None
        value = _const(node)
        if isinstance(value, str):
            return value
        if isinstance(node, nodes.Call):
            callee = self._resolve(modname, node.func)
            called = node.func.name if isinstance(node.func, nodes.Name) else last_name(callee)
            if called == "get_user_model":
                return self.settings.auth_user_model
            return None
        qualname = self._resolve(modname, node)
        if qualname is None:
            return None
        if last_name(qualname) == "AUTH_USER_MODEL":
            return self.settings.auth_user_model
        if qualname in self.labels:
            return self.labels[qualname]
        return _CONTRIB_QUALNAMES.get(qualname)

    # -- models ----------------------------------------------------------------------------------------------
    def build(self) -> ModelGraph:
        self.collect_classes()
        model_entries = [
            entry
            for entry in self.classes.values()
            if entry.qualname not in MODEL_ROOTS and self.is_model(entry.qualname)
        ]
        for entry in model_entries:
            self.labels[entry.qualname] = f"{self.app_label(entry)}.{entry.node.name}"
        models: dict[str, ModelInfo] = {}
        built: dict[str, ModelInfo] = {}
        for entry in model_entries:
            self._build_model(entry, built, 0)
        for info in built.values():
            if info.label in models:
                logger.debug("model label %s declared twice; keeping %s", info.label, models[info.label].qualname)
                continue
            models[info.label] = info
        for label, info in contrib_models(self.settings.auth_user_model).items():
            models.setdefault(label, info)
        self._add_reverse_accessors(models)
        by_qualname = {qualname: label for qualname, label in self.labels.items() if label in models}
        for label, info in models.items():
            by_qualname.setdefault(info.qualname, label)
        return ModelGraph(models=models, by_qualname=by_qualname, auth_user_model=self.settings.auth_user_model)

    def _build_model(self, entry: _ClassEntry, built: dict[str, ModelInfo], depth: int) -> ModelInfo | None:
        if entry.qualname in built:
            return built[entry.qualname]
        if depth > _MAX_DEPTH:
            return None
        label = self.labels[entry.qualname]
        app_label = label.partition(".")[0]
        meta = _meta_options(entry.node)
        abstract = _const(meta.get("abstract")) is True
        proxy = _const(meta.get("proxy")) is True
        fields: dict[str, FieldInfo] = {}
        parents: list[str] = []
        base_qualnames: list[str] = []
        ordering = _string_tuple(meta.get("ordering"))
        has_str = False
        managers: dict[str, tuple[str, ...]] = {}
        for base in reversed(entry.bases):
            if base is None or base in MODEL_ROOTS:
                continue
            if base in CONTRIB_ABSTRACT_BASES and base not in self.classes:
                specs, base_has_str = CONTRIB_ABSTRACT_BASES[base]
                for spec in specs:
                    fields[spec.name] = field_from_spec(spec, label, self.settings.auth_user_model, base)
                has_str = has_str or base_has_str
                continue
            base_entry = self.classes.get(base)
            if base_entry is None or base not in self.labels:
                continue
            base_info = self._build_model(base_entry, built, depth + 1)
            if base_info is None:
                continue
            base_qualnames.append(base)
            has_str = has_str or base_info.has_str
            for name, manager_classes in base_info.manager_classes.items():
                managers.setdefault(name, manager_classes)
            if ordering is None:
                ordering = base_info.ordering
            if base_info.abstract:
                for declared in self._abstract_fields(base_entry, built):
                    fields[declared.info.name] = self._concrete_field(declared, label, entry.node.name)
            else:
                fields.update(base_info.fields)
                parents.append(base_info.label)
                if not proxy:
                    own = self.declared_fields(entry)
                    has_link = any(d.parent_link and d.raw_target == base_info.label for d in own)
                    if not has_link:
                        ptr = f"{base_info.name.lower()}_ptr"
                        fields[ptr] = FieldInfo(
                            name=ptr,
                            kind=FieldKind.ONE_TO_ONE,
                            model=label,
                            target=base_info.label,
                            declared_in=entry.qualname,
                            path=self.modules[entry.modname].file,
                            line=entry.node.lineno,
                            field_class="OneToOneField",
                            unique=True,
                        )
        for declared in self.declared_fields(entry):
            fields[declared.info.name] = self._concrete_field(declared, label, entry.node.name)
        if not abstract and not parents and not any(f.name == "id" for f in fields.values()):
            fields["id"] = FieldInfo(name="id", kind=FieldKind.FIELD, model=label, field_class="AutoField", unique=True)
        properties, methods = self._functions(entry)
        own_managers = self._managers(entry)
        managers = {**managers, **own_managers} if own_managers else managers
        info = ModelInfo(
            label=label,
            app_label=app_label,
            name=entry.node.name,
            qualname=entry.qualname,
            path=self.modules[entry.modname].file,
            line=entry.node.lineno,
            abstract=abstract,
            proxy=proxy,
            bases=tuple(reversed(base_qualnames)),
            fields=fields,
            managers=tuple(managers) if managers else ("objects",),
            has_str="__str__" in methods or has_str,
            ordering=ordering,
            properties=properties,
            methods=methods,
            manager_classes=managers,
            parents=tuple(parents),
        )
        built[entry.qualname] = info
        return info

    def _abstract_fields(self, entry: _ClassEntry, built: dict[str, ModelInfo], depth: int = 0) -> list[_DeclaredField]:
        """Fields an abstract base contributes, including those of its own abstract bases, farthest first."""
        declared: list[_DeclaredField] = []
        if depth > _MAX_DEPTH:
            return declared
        for base in reversed(entry.bases):
            if base in CONTRIB_ABSTRACT_BASES and base not in self.classes:
                specs, _ = CONTRIB_ABSTRACT_BASES[base]
                for spec in specs:
                    info = field_from_spec(spec, "", self.settings.auth_user_model, base)
                    declared.append(_DeclaredField(info, info.target))
                continue
            base_entry = self.classes.get(base) if base else None
            if base_entry is not None and base in self.labels:
                declared.extend(self._abstract_fields(base_entry, built, depth + 1))
        declared.extend(self.declared_fields(entry))
        return declared

    def _concrete_field(self, declared: _DeclaredField, label: str, class_name: str) -> FieldInfo:
        app_label = label.partition(".")[0]
        target = declared.raw_target
        if target == "self":
            target = label
        elif target is not None and "." not in target:
            target = f"{app_label}.{target}"
        related_name = declared.info.related_name
        if related_name is not None:
            related_name = related_name.replace("%(class)s", class_name.lower()).replace(
                "%(app_label)s", app_label.lower()
            )
        symmetrical_self = declared.info.kind is FieldKind.MANY_TO_MANY and target == label and declared.symmetrical
        if symmetrical_self and related_name is None:
            related_name = "+"
        return replace(declared.info, model=label, target=target, related_name=related_name)

    def _functions(self, entry: _ClassEntry) -> tuple[dict[str, str], dict[str, str]]:
        properties: dict[str, str] = {}
        methods: dict[str, str] = {}
        seen: set[str] = set()
        pending = [entry.qualname]
        while pending:
            qualname = pending.pop(0)
            current = self.classes.get(qualname)
            if current is None or qualname in seen or qualname in MODEL_ROOTS:
                continue
            seen.add(qualname)
            for statement in current.node.body:
                if not isinstance(statement, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
                    continue
                if statement.name in properties or statement.name in methods:
                    continue
                decorators = statement.decorators.nodes if statement.decorators else []
                names = {
                    decorator.name if isinstance(decorator, nodes.Name) else getattr(decorator, "attrname", "")
                    for decorator in decorators
                }
                if names & {"setter", "deleter"}:
                    continue
                if names & _PROPERTY_DECORATORS:
                    properties[statement.name] = f"{qualname}.{statement.name}"
                else:
                    methods[statement.name] = f"{qualname}.{statement.name}"
            pending.extend(base for base in current.bases if base is not None)
        return properties, methods

    def _managers(self, entry: _ClassEntry) -> dict[str, tuple[str, ...]]:
        managers: dict[str, tuple[str, ...]] = {}
        for statement in entry.node.body:
            if not isinstance(statement, nodes.Assign) or not isinstance(statement.value, nodes.Call):
                continue
            classes = self._manager_classes(entry.modname, statement.value)
            if classes is None:
                continue
            for target in statement.targets:
                if isinstance(target, nodes.AssignName):
                    managers[target.name] = classes
        return managers

    def _manager_classes(self, modname: str, call: nodes.Call) -> tuple[str, ...] | None:
        """The project classes behind a manager assignment, or None if the value is not a manager."""
        func = call.func
        if isinstance(func, nodes.Attribute) and func.attrname == "as_manager":
            queryset = self._resolve(modname, func.expr)
            return self._class_chain(queryset)
        if isinstance(func, nodes.Call) and isinstance(func.func, nodes.Attribute):
            if func.func.attrname == "from_queryset":
                manager = self._resolve(modname, func.func.expr)
                queryset = self._resolve(modname, func.args[0]) if func.args else None
                return self._class_chain(manager) + self._class_chain(queryset)
            return None
        qualname = self._resolve(modname, func)
        if qualname is None:
            return None
        if self._is_manager_class(qualname):
            return self._class_chain(qualname)
        return None

    def _is_manager_class(self, qualname: str, depth: int = 0) -> bool:
        if last_name(qualname).endswith("Manager"):
            return True
        entry = self.classes.get(qualname)
        if entry is None or depth > _MAX_DEPTH:
            return False
        return any(base is not None and self._is_manager_class(base, depth + 1) for base in entry.bases)

    def _class_chain(self, qualname: str | None) -> tuple[str, ...]:
        """A project class and its project bases (nearest first), including from_queryset() querysets."""
        chain: list[str] = []
        pending = [qualname] if qualname else []
        while pending and len(chain) < _MAX_DEPTH:
            current = pending.pop(0)
            entry = self.classes.get(current)
            if entry is None or current in chain:
                continue
            chain.append(current)
            for base, base_node in zip(entry.bases, entry.base_nodes, strict=True):
                if isinstance(base_node, nodes.Call) and base_node.args:
                    queryset = self._resolve(entry.modname, base_node.args[0])
                    if queryset:
                        pending.append(queryset)
                if base is not None:
                    pending.append(base)
        return tuple(chain)

    # -- reverse accessors -----------------------------------------------------------------------------------
    def _add_reverse_accessors(self, models: dict[str, ModelInfo]) -> None:
        for label, info in list(models.items()):
            if info.abstract:
                continue
            for relation in list(info.fields.values()):
                if relation.model != label or relation.target not in models:
                    continue
                if relation.kind not in (FieldKind.FOREIGN_KEY, FieldKind.ONE_TO_ONE, FieldKind.MANY_TO_MANY):
                    continue
                if relation.related_name is not None and relation.related_name.endswith("+"):
                    continue
                target = models[str(relation.target)]
                if relation.kind is FieldKind.ONE_TO_ONE:
                    kind, default = FieldKind.REVERSE_ONE_TO_ONE, info.name.lower()
                elif relation.kind is FieldKind.FOREIGN_KEY:
                    kind, default = FieldKind.REVERSE_FOREIGN_KEY, f"{info.name.lower()}_set"
                else:
                    kind, default = FieldKind.REVERSE_MANY_TO_MANY, f"{info.name.lower()}_set"
                name = relation.related_name or default
                if name in target.fields:
                    continue
                target.fields[name] = FieldInfo(
                    name=name,
                    kind=kind,
                    model=target.label,
                    null=True,
                    target=label,
                    related_query_name=relation.related_query_name,
                    through=relation.through,
                    declared_in=relation.declared_in,
                    path=relation.path,
                    line=relation.line,
                    field_class=relation.field_class,
                    remote_field=relation.name,
                )
        # Subclasses (proxies, multi-table children) inherit the reverse accessors of their parents.
        for info in models.values():
            pending = list(info.parents)
            seen: set[str] = set()
            while pending:
                parent = models.get(pending.pop(0))
                if parent is None or parent.label in seen:
                    continue
                seen.add(parent.label)
                for name, accessor in parent.fields.items():
                    info.fields.setdefault(name, accessor)
                pending.extend(parent.parents)


def build_model_graph(modules: dict[str, nodes.Module], settings: SettingsInfo) -> ModelGraph:
    """The project's models, fields and reverse accessors, read from source."""
    return _GraphBuilder(modules, settings).build()
