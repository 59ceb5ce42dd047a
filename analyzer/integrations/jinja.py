"""Jinja2 templates (Django's Jinja2 backend, django-jinja), read statically into the same form as Django templates.

A template is parsed with Jinja2's own parser (nothing is compiled or rendered; tags of extensions the analysis does
not know are skipped, the text between their opening and closing tags is still read) and translated into the small
Python module ``templates.py`` runs for Django templates: ``{% for b in books %}`` becomes a ``for`` loop,
``{{ b.author.name }}`` a read of ``b.author.name``, ``{% set %}`` and ``{% with %}`` assignments, and
``{% extends %}``/``{% block %}``/``{% include %}`` are resolved through the same template folders. Unlike Django's
engine, Jinja2 calls only what the template calls, so lookups are not called by the run (``TemplateFrame`` calls
only in modules named with ``TEMPLATE_MODULE_PREFIX``; Jinja2 translations are named with ``JINJA_MODULE_PREFIX``).

Jinja2 is an optional dependency: only its parser is used. Without it, Jinja2 templates are skipped and the run
says so once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from astroid import nodes as astroid_nodes

from analyzer.integrations.template_files import MAX_INCLUDE_DEPTH, TemplateFile, TemplateLoader
from analyzer.integrations.templates import IncludeResolver, Location, Translation, include_names, safe_name

if TYPE_CHECKING:
    from jinja2 import nodes as jinja_nodes

logger = logging.getLogger(__name__)

JINJA_MODULE_PREFIX = "__jinja_"
JINJA_SUFFIXES = frozenset({".jinja", ".jinja2", ".j2"})
# Tags Jinja2 has and Django's template language does not: a template that uses one is a Jinja2 template.
_JINJA_ONLY_TAGS = frozenset({"set", "endset", "macro", "endmacro", "call", "endcall", "import", "from", "do", "raw"})
_KNOWN_TAGS = frozenset(
    {
        "for",
        "endfor",
        "if",
        "elif",
        "else",
        "endif",
        "block",
        "endblock",
        "extends",
        "print",
        "macro",
        "endmacro",
        "include",
        "from",
        "import",
        "set",
        "endset",
        "with",
        "endwith",
        "autoescape",
        "endautoescape",
        "filter",
        "endfilter",
        "call",
        "endcall",
        "raw",
        "endraw",
        "trans",
        "pluralize",
        "endtrans",
        "do",
        "break",
        "continue",
    }
)
_TAG = re.compile(r"\{%[-+]?\s*([A-Za-z_]\w*)")
_TAG_OR_VARIABLE = re.compile(r"\{([{%])(.*?)[}%]\}", re.DOTALL)
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
# ``url('home')``, ``d.items()``, ``|f(n)``: a call; ``_(`` alone is Django's translation mark too.
_CALL = re.compile(r"(?:\b(?!_\()[A-Za-z_]\w*|[\])])\(")
_WHITESPACE_CONTROL = re.compile(r"\{[{%]-|-[%}]\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LENGTH_FILTERS = frozenset({"length", "count", "wordcount"})
_ELEMENT_FILTERS = frozenset({"first", "last", "random"})
_DISPLAY_FILTERS = frozenset(
    {
        "default",
        "d",
        "e",
        "escape",
        "forceescape",
        "safe",
        "upper",
        "lower",
        "title",
        "capitalize",
        "trim",
        "truncate",
        "striptags",
        "urlize",
        "center",
        "indent",
        "string",
        "wordwrap",
    }
)
_UNKNOWN_NAME = "__unknown__"


JINJA_TEMPLATE_CLASSES = frozenset({"jinja2.Template", "jinja2.environment.Template"})


def is_jinja_inline(source: astroid_nodes.Const, resolve: Callable[[str, astroid_nodes.NodeNG], str | None]) -> bool:
    """Whether a template string literal is given to Jinja2's ``Template`` (``resolve`` names the callee)."""
    call = source.parent
    if not isinstance(call, astroid_nodes.Call) or not isinstance(
        call.func, astroid_nodes.Name | astroid_nodes.Attribute
    ):
        return False
    return resolve(source.root().name, call.func) in JINJA_TEMPLATE_CLASSES


def is_jinja_template(template: TemplateFile, text: str) -> bool:
    """A Jinja2 template: named ``.jinja``/``.jinja2``/``.j2``, found in an app's ``jinja2/`` folder (Django's
    Jinja2 backend), or using syntax only Jinja2 has (``{% set %}``, ``{% macro %}``, calls, ``{%-``)."""
    if template.path.suffix in JINJA_SUFFIXES:
        return True
    relative_parts = template.path.parts[: len(template.path.parts) - len(template.name.split("/"))]
    if relative_parts and relative_parts[-1] == "jinja2":
        return True
    return uses_jinja_syntax(text)


def uses_jinja_syntax(text: str) -> bool:
    if any(match.group(1) in _JINJA_ONLY_TAGS for match in _TAG.finditer(text)):
        return True
    if _WHITESPACE_CONTROL.search(text):
        return True
    return any(_CALL.search(_QUOTED.sub('""', match.group(2))) for match in _TAG_OR_VARIABLE.finditer(text))


@cache
def jinja_available() -> bool:
    """Whether Jinja2's parser can be imported; says once that Jinja2 templates are skipped when it cannot."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        logger.warning("Jinja2 is not installed: Jinja2 templates are not checked (pip install jinja2)")
        return False
    return True


def _parse(text: str, display_path: str) -> jinja_nodes.Template | None:
    import jinja2
    from jinja2 import nodes
    from jinja2.ext import Extension

    unknown = sorted({match.group(1) for match in _TAG.finditer(text)} - _KNOWN_TAGS)

    class UnknownTags(Extension):
        """Skips the tags of extensions the analysis does not know (``{% cache %}``, ``{% csrf_token %}``)."""

        tags = set(unknown)

        def parse(self, parser: jinja2.parser.Parser) -> nodes.Node:
            lineno = next(parser.stream).lineno
            while parser.stream.current.type != "block_end":
                next(parser.stream)
            return nodes.Output([], lineno=lineno)

    environment = jinja2.Environment(
        extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols", UnknownTags]
    )
    try:
        return environment.parse(text)
    except jinja2.TemplateSyntaxError as error:
        message = f"cannot parse Jinja2 template: {error.message} (line {error.lineno})"
        logger.error("[%(path)s] %(message)s", {"path": display_path, "message": message})
        return None


@dataclass
class _Parsed:
    body: list[jinja_nodes.Node]
    lines: list[str]
    template: TemplateFile
    extends: str | None
    # Where the text starts in its file: a template given as a string literal in Python code.
    line_offset: int = 0
    column_offset: int = 0


class JinjaLoader:
    """Parses each Jinja2 template once, through the template folders of a ``TemplateLoader``."""

    def __init__(self, loader: TemplateLoader) -> None:
        self.loader = loader
        self.parsed: dict[str, _Parsed | None] = {}

    def get(self, template: TemplateFile) -> _Parsed | None:
        key = str(template.path)
        if key not in self.parsed:
            self.parsed[key] = self._read(template)
        return self.parsed[key]

    def _read(self, template: TemplateFile) -> _Parsed | None:
        try:
            text = template.path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            logger.error("[%(path)s] %(message)s", {"path": template.display_path, "message": f"cannot read: {error}"})
            return None
        return self.parse(text, template)

    def parse(self, text: str, template: TemplateFile, line_offset: int = 0, column_offset: int = 0) -> _Parsed | None:
        from jinja2 import nodes

        parsed = _parse(text, template.display_path)
        if parsed is None:
            return None
        extends = next(
            (
                node.template.value
                for node in parsed.body
                if isinstance(node, nodes.Extends)
                and isinstance(node.template, nodes.Const)
                and isinstance(node.template.value, str)
            ),
            None,
        )
        return _Parsed(list(parsed.body), text.splitlines(), template, extends, line_offset, column_offset)

    def find(self, name: str) -> _Parsed | None:
        found = self.loader.index.find(name)
        return self.get(found) if found is not None else None


class JinjaTranslator:
    """Turns a parsed Jinja2 template into a ``Translation``; extends, blocks and includes are resolved."""

    def __init__(self, loader: JinjaLoader, resolve_include: IncludeResolver | None) -> None:
        self.loader = loader
        self.resolve_include = resolve_include
        self.result = Translation()
        self.indent = 0
        self.includes: tuple[str, ...] = ()

    # -- templates ---------------------------------------------------------------------------------------------
    def translate(self, parsed: _Parsed) -> Translation:
        self.template(parsed)
        if not self.result.lines:
            self.result.emit(0, "pass", None)
        return self.result

    def template(self, parsed: _Parsed) -> None:
        """Render ``parsed`` as Jinja2 does: its root parent's body, with every block the most derived one."""
        from jinja2 import nodes

        chain = [parsed]
        while chain[-1].extends is not None and len(chain) <= MAX_INCLUDE_DEPTH:
            parent = self.loader.find(chain[-1].extends)
            if parent is None or parent in chain:
                break
            chain.append(parent)
        blocks: dict[str, tuple[nodes.Block, _Parsed]] = {}
        for current in chain:
            for statement in current.body:
                for block in [statement, *statement.find_all(nodes.Block)]:
                    if isinstance(block, nodes.Block):
                        blocks.setdefault(block.name, (block, current))
        root = chain[-1]
        # A child's own statements outside blocks still run before the parent renders ({% set %}, imports).
        for current in chain[:-1]:
            for statement in current.body:
                if isinstance(statement, nodes.Assign | nodes.With):
                    self.statement(statement, current, blocks)
        for statement in root.body:
            self.statement(statement, root, blocks)

    def statements(
        self, body: Iterable[jinja_nodes.Node], parsed: _Parsed, blocks: dict[str, tuple[jinja_nodes.Block, _Parsed]]
    ) -> None:
        for statement in body:
            self.statement(statement, parsed, blocks)

    def statement(
        self, node: jinja_nodes.Node, parsed: _Parsed, blocks: dict[str, tuple[jinja_nodes.Block, _Parsed]]
    ) -> None:
        from jinja2 import nodes

        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.read(child, parsed, rendered=True)
        elif isinstance(node, nodes.For):
            self.open_for(node, parsed, blocks)
        elif isinstance(node, nodes.If):
            self.read(node.test, parsed)
            self.statements(node.body, parsed, blocks)
            self.statements(node.elif_, parsed, blocks)
            self.statements(node.else_, parsed, blocks)
        elif isinstance(node, nodes.Assign):
            code = self.read(node.node, parsed)
            for name in self.target_names(node.target):
                self.emit(
                    f"{name} = {code if code is not None and isinstance(node.target, nodes.Name) else _UNKNOWN_NAME}",
                    node,
                    parsed,
                    self.text(node.node),
                )
        elif isinstance(node, nodes.AssignBlock):
            self.statements(node.body, parsed, blocks)
        elif isinstance(node, nodes.With):
            for target, value in zip(node.targets, node.values, strict=False):
                code = self.read(value, parsed)
                for name in self.target_names(target):
                    self.emit(f"{name} = {code or _UNKNOWN_NAME}", node, parsed, self.text(value))
            self.statements(node.body, parsed, blocks)
        elif isinstance(node, nodes.Block):
            block, owner = blocks.get(node.name, (node, parsed))
            self.statements(block.body, owner, blocks)
        elif isinstance(node, nodes.Include):
            self.include(node, parsed)
        elif isinstance(node, nodes.CallBlock):
            self.read(node.call, parsed)
            self.statements(node.body, parsed, blocks)
        elif isinstance(node, nodes.ExprStmt):
            self.read(node.node, parsed)
        elif isinstance(node, nodes.Scope | nodes.FilterBlock | nodes.ScopedEvalContextModifier):
            self.statements(node.body, parsed, blocks)
        # Macros run per call with arguments the analysis cannot see; imports and extends are resolved above.

    def open_for(
        self, node: jinja_nodes.For, parsed: _Parsed, blocks: dict[str, tuple[jinja_nodes.Block, _Parsed]]
    ) -> None:
        iterable = self.read(node.iter, parsed, statement=False) or _UNKNOWN_NAME
        targets = self.target_names(node.target)
        if not targets:
            return
        self.emit(f"for {', '.join(targets)} in {iterable}:", node, parsed, self.text(node.iter))
        self.indent += 1
        self.result.emit(self.indent, "pass", None)
        if node.test is not None:
            self.read(node.test, parsed)
        self.statements(node.body, parsed, blocks)
        self.indent -= 1
        self.statements(node.else_, parsed, blocks)

    def include(self, node: jinja_nodes.Include, parsed: _Parsed) -> None:
        from jinja2 import nodes

        names: tuple[str, ...] = ()
        template = node.template
        if isinstance(template, nodes.Const) and isinstance(template.value, str):
            names = (template.value,)
        elif isinstance(template, nodes.List | nodes.Tuple):
            names = tuple(
                item.value for item in template.items if isinstance(item, nodes.Const) and isinstance(item.value, str)
            )
        else:
            text = self.text(template)
            if text and self.resolve_include is not None and re.fullmatch(r"[\w.]+", text):
                if text not in self.result.includes:
                    self.result.includes[text] = include_names(text, self.resolve_include)
                names = self.result.includes[text]
        found = self.loader.loader.index.find_first(names)
        if found is None or found.name in self.includes or len(self.includes) >= MAX_INCLUDE_DEPTH:
            return
        included = self.loader.get(found)
        if included is None:
            return
        outer = self.includes
        self.includes = (*outer, found.name)
        self.template(included)
        self.includes = outer

    # -- expressions -------------------------------------------------------------------------------------------
    def target_names(self, target: jinja_nodes.Node) -> list[str]:
        from jinja2 import nodes

        if isinstance(target, nodes.Name):
            return [safe_name(target.name)]
        if isinstance(target, nodes.Tuple):
            return [safe_name(item.name) for item in target.items if isinstance(item, nodes.Name)]
        return []

    def read(
        self, node: jinja_nodes.Node, parsed: _Parsed, *, rendered: bool = False, statement: bool = True
    ) -> str | None:
        """Emit the reads inside one expression; returns the code of its value (None when it has none)."""
        code, displayed = self.value(node, parsed)
        if code is not None and statement:
            self.emit(f"str({code})" if rendered and displayed else code, node, parsed, self.text(node))
        return code

    def value(self, node: jinja_nodes.Node, parsed: _Parsed) -> tuple[str | None, bool]:
        """The Python code of an expression's value and whether rendering it shows it as text; the reads of its
        other parts (arguments, operands) are emitted on the way."""
        from jinja2 import nodes

        if isinstance(node, nodes.Name):
            return safe_name(node.name), True
        if isinstance(node, nodes.Getattr):
            base, _ = self.value(node.node, parsed)
            if base is None or not _IDENTIFIER.match(node.attr) or node.attr.startswith("_"):
                return None, False
            return f"{base}.{node.attr}", True
        if isinstance(node, nodes.Getitem):
            base, _ = self.value(node.node, parsed)
            key = node.arg
            if base is None:
                return None, False
            if isinstance(key, nodes.Const) and isinstance(key.value, int):
                return f"{base}[{key.value}]", True
            if isinstance(key, nodes.Const) and isinstance(key.value, str) and _IDENTIFIER.match(key.value):
                return f"{base}.{key.value}", True
            if isinstance(key, nodes.Slice):
                return base, False
            self.read(key, parsed)
            return None, False
        if isinstance(node, nodes.Call):
            for argument in [*node.args, *(keyword.value for keyword in node.kwargs)]:
                self.read(argument, parsed)
            function, _ = self.value(node.node, parsed)
            if function is None or isinstance(node.node, nodes.Name):
                return None, False  # globals (url(), _()) and macros are not followed
            return f"{function}()", True
        if isinstance(node, nodes.Filter):
            for argument in [*node.args, *(keyword.value for keyword in node.kwargs)]:
                self.read(argument, parsed)
            if node.node is None:
                return None, False
            base, displayed = self.value(node.node, parsed)
            if base is None:
                return None, False
            if node.name in _LENGTH_FILTERS:
                return f"len({base})", False
            if node.name in _ELEMENT_FILTERS:
                return f"next(iter({base}))", True
            return base, displayed and node.name in _DISPLAY_FILTERS
        if isinstance(node, nodes.Test):
            for argument in [*node.args, *(keyword.value for keyword in node.kwargs)]:
                self.read(argument, parsed)
            self.read(node.node, parsed)
            return None, False
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Expr):
                self.read(child, parsed)
        return None, False

    def text(self, node: jinja_nodes.Node) -> str:
        """The expression as written in Jinja2 (``book.author.name``), for messages and columns."""
        from jinja2 import nodes

        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            return f"{self.text(node.node)}.{node.attr}"
        if isinstance(node, nodes.Getitem):
            key = node.arg
            inner = repr(key.value) if isinstance(key, nodes.Const) else "..."
            return f"{self.text(node.node)}[{inner}]"
        if isinstance(node, nodes.Call):
            return f"{self.text(node.node)}()"
        if isinstance(node, nodes.Filter) and node.node is not None:
            return self.text(node.node)
        return ""

    def emit(self, code: str, node: jinja_nodes.Node, parsed: _Parsed, text: str) -> None:
        for match in re.finditer(r"(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)", code):
            if match.group(1) not in ("str", "len", "next", "iter"):
                self.result.names.add(match.group(1))
        line = node.lineno or 1
        source = parsed.lines[line - 1] if 0 < line <= len(parsed.lines) else ""
        offset = source.find(text) if text else -1
        if offset < 0:
            offset = max(source.find("{"), 0)
        column = offset + 1 + (parsed.column_offset if line == 1 else 0)
        location = Location(
            parsed.template.name,
            parsed.template.display_path,
            line + parsed.line_offset,
            column,
            text or code,
            engine="jinja2",
        )
        self.result.emit(self.indent, code, location)


def translate_jinja(
    loader: JinjaLoader, template: TemplateFile, resolve_include: IncludeResolver | None = None
) -> Translation | None:
    """A Jinja2 template as the Python ``templates.run_template`` runs; None when it cannot be parsed."""
    parsed = loader.get(template)
    if parsed is None:
        return None
    return JinjaTranslator(loader, resolve_include).translate(parsed)


class JinjaTranslations:
    """Jinja2 templates told apart from Django ones and translated, shared by the renders whose contexts resolve
    the variable includes the same way."""

    def __init__(self, loader: TemplateLoader) -> None:
        self.loader = JinjaLoader(loader)
        self.kinds: dict[str, bool] = {}
        self.cache: dict[str, list[Translation | None]] = {}

    def is_jinja(self, template: TemplateFile) -> bool:
        key = str(template.path)
        if key not in self.kinds:
            try:
                text = template.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""  # the Django template pass reports the unreadable file
            self.kinds[key] = is_jinja_template(template, text)
        return self.kinds[key]

    def inline(self, source: astroid_nodes.Const, display_path: str, resolve: IncludeResolver) -> Translation | None:
        """A template given as a string literal (``jinja2.Template("...")``), located in the Python file."""
        key = f"{display_path}:{source.lineno}:{source.col_offset}"
        if key not in self.cache:
            template = TemplateFile("<inline template>", Path(source.root().file or display_path), display_path)
            parsed = self.loader.parse(
                str(source.value), template, (source.lineno or 1) - 1, (source.col_offset or 0) + 1
            )
            translated = JinjaTranslator(self.loader, resolve).translate(parsed) if parsed is not None else None
            self.cache[key] = [translated]
        return self.cache[key][0]

    def get(self, template: TemplateFile, resolve: IncludeResolver) -> Translation | None:
        key = str(template.path)
        for translation in self.cache.get(key, []):
            if translation is None:
                return None
            if all(include_names(text, resolve) == names for text, names in translation.includes.items()):
                return translation
        translated = translate_jinja(self.loader, template, resolve)
        self.cache.setdefault(key, []).append(translated)
        return translated
