"""Django templates, read statically: translating them (``include`` inlined) and running them. Finding templates
and resolving ``extends``/``block`` is in ``analyzer.integrations.template_files``.

A template is tokenized with Django's own lexer (no engine, no settings, no tag libraries: unknown tags and filters
are simply not followed) and translated into a small Python module whose statements mirror what rendering does:
``{% for b in books %}`` becomes a ``for`` loop, ``{{ b.author }}`` becomes ``str(b.author)``, ``{% with %}`` an
assignment, and each lookup step that yields a method is called, as the template engine does. The flow evaluator
then runs that module with the view's context, so select_related/prefetch_related/only on the view's queryset,
properties and ``__str__`` count exactly as they do in Python code. Every generated line maps back to the template
file and line it came from.
"""

from __future__ import annotations

import keyword
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import astroid
from astroid import nodes
from django.template.base import TokenType

from analyzer.flow.evaluator import FlowProject
from analyzer.flow.events import EventKind, FlowEvent
from analyzer.flow.values import UNKNOWN, Constant, DictOf, Value
from analyzer.integrations.frames import DjangoFrame, call_as_engine
from analyzer.integrations.render_values import ContextDict
from analyzer.integrations.template_files import MAX_INCLUDE_DEPTH, TemplateLoader, Token, literal_text

logger = logging.getLogger(__name__)

# Module names of translated templates, so their code is told apart from the project code it calls.
TEMPLATE_MODULE_PREFIX = "__template_"
RELATION_EVENTS = frozenset(
    {
        EventKind.RELATED_ACCESS,
        EventKind.RELATED_MANAGER,
        EventKind.GENERIC_RELATION,
        EventKind.PREFETCH_BYPASS,
        EventKind.DEFERRED_FIELD,
        EventKind.PROPERTY,
        EventKind.RELATED_AGGREGATE,
    }
)
# What a template does per row that costs a query: the relation reads, and querysets a property or method builds
# for the row (``{% for w in task.active_workflows %}``).
TEMPLATE_EVENTS = RELATION_EVENTS | {EventKind.QUERY_IN_LOOP}
# Filters whose output is the value rendered as text (so a model instance's __str__ runs).
_DISPLAY_FILTERS = frozenset(
    {
        "default",
        "default_if_none",
        "escape",
        "force_escape",
        "safe",
        "upper",
        "lower",
        "title",
        "capfirst",
        "truncatechars",
        "truncatewords",
        "linebreaks",
        "linebreaksbr",
        "striptags",
        "urlize",
        "center",
        "ljust",
        "rjust",
        "slugify",
    }
)
_ELEMENT_FILTERS = frozenset({"first", "last", "random"})
_LENGTH_FILTERS = frozenset({"length", "length_is"})
_IF_OPERATORS = frozenset({"and", "or", "not", "in", "is", "==", "!=", "<", ">", "<=", ">="})
# Names the generated code calls; template variables with these names are renamed.
_RESERVED = frozenset({"str", "len", "next", "iter"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UNKNOWN_NAME = "__unknown__"


# -- expressions ---------------------------------------------------------------------------------------------
def safe_name(name: str) -> str:
    return f"{name}_" if keyword.iskeyword(name) or name in _RESERVED or name == _UNKNOWN_NAME else name


def variable_code(variable: str) -> str | None:
    """A template variable (``book.tags.0.name``) as Python (``book.tags[0].name``); None for literals."""
    variable = variable.strip()
    if not variable or variable[0] in "\"'-+0123456789" or variable.startswith("_("):
        return None
    parts = variable.split(".")
    head = parts[0]
    if not _IDENTIFIER.match(head) or head in ("True", "False", "None"):
        return None
    code = safe_name(head)
    for part in parts[1:]:
        if part.isdigit():
            code += f"[{part}]"
        elif _IDENTIFIER.match(part) and not keyword.iskeyword(part) and not part.startswith("_"):
            code += f".{part}"
        else:
            break
    return code


def split_filters(expression: str) -> tuple[str, list[tuple[str, str | None]]]:
    """``a.b|default:x|length`` -> ("a.b", [("default", "x"), ("length", None)]), respecting quotes."""
    pieces: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in expression:
        if quote:
            current.append(char)
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
            current.append(char)
        elif char == "|":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    filters: list[tuple[str, str | None]] = []
    for piece in pieces[1:]:
        name, separator, argument = piece.partition(":")
        filters.append((name.strip(), argument.strip() if separator else None))
    return pieces[0].strip(), filters


@dataclass(frozen=True)
class Expression:
    """A filter expression translated: ``code`` reads the value, ``arguments`` are the filters' variables."""

    code: str | None
    rendered: str | None  # the statement that renders it ({{ }}), or None when it is not a variable
    arguments: tuple[str, ...]
    text: str


def expression(text: str) -> Expression:
    variable, filters = split_filters(text)
    code = variable_code(variable)
    arguments = tuple(filter(None, (variable_code(argument) for _, argument in filters if argument)))
    if code is None:
        return Expression(None, None, arguments, variable)
    value = code
    displayed = True
    for name, _ in filters:
        if name in _LENGTH_FILTERS:
            value, displayed = f"len({value})", False
        elif name in _ELEMENT_FILTERS:
            value = f"next(iter({value}))"
        elif name not in _DISPLAY_FILTERS:
            displayed = False
    return Expression(value, f"str({value})" if displayed else value, arguments, variable)


# -- translation ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    """Where a generated line came from."""

    template: str
    path: str
    line: int
    column: int
    text: str  # the template expression (or the loop's iterable)
    engine: str = "django"  # "jinja2" for Jinja2 templates


@dataclass
class Translation:
    """A template as Python source, with a template location for every generated line (1-based)."""

    lines: list[str] = field(default_factory=list)
    locations: list[Location | None] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    # ``{% include some.variable %}``: the template names each variable include resolved to while translating.
    includes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def emit(self, indent: int, code: str, location: Location | None) -> None:
        self.lines.append("    " * indent + code)
        self.locations.append(location)

    def location(self, line: int) -> Location | None:
        return self.locations[line - 1] if 1 <= line <= len(self.locations) else None

    @property
    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


class Translator:
    """Turns a token stream into a ``Translation``; includes are inlined (up to MAX_INCLUDE_DEPTH)."""

    def __init__(self, loader: TemplateLoader, resolve_include: IncludeResolver | None = None) -> None:
        self.loader = loader
        self.resolve_include = resolve_include
        self.result = Translation()
        self.indent = 0
        self.loop_depths: list[int] = []

    def translate(self, tokens: list[Token], includes: tuple[str, ...] = ()) -> Translation:
        skip_until: str | None = None
        for token in tokens:
            if skip_until is not None:
                if token.kind is TokenType.BLOCK and token.contents.strip() == skip_until:
                    skip_until = None
                continue
            if token.kind is TokenType.VAR:
                self.variable(token)
            elif token.kind is TokenType.BLOCK:
                bits = token.bits()
                if not bits:
                    continue
                if bits[0] in ("comment", "verbatim"):
                    skip_until = f"end{bits[0]}"
                    continue
                self.tag(token, bits, includes)
        return self.result

    def location(self, token: Token, text: str) -> Location:
        offset = token.contents.find(text)
        column = token.column + 3 + max(offset, 0) if token.kind in (TokenType.VAR, TokenType.BLOCK) else token.column
        return Location(token.template, token.path, token.line, column, text)

    def statement(self, token: Token, code: str, text: str) -> None:
        self.remember_names(code)
        self.result.emit(self.indent, code, self.location(token, text))

    def remember_names(self, code: str) -> None:
        for match in re.finditer(r"(?<![.\w])([A-Za-z_][A-Za-z0-9_]*)", code):
            if match.group(1) not in _RESERVED:
                self.result.names.add(match.group(1))

    def read(self, token: Token, text: str, *, rendered: bool = False) -> str | None:
        """Emit the reads of one filter expression; returns the code of its value."""
        parsed = expression(text)
        for argument in parsed.arguments:
            self.statement(token, argument, argument)
        if parsed.code is not None:
            self.statement(token, parsed.rendered if rendered and parsed.rendered else parsed.code, parsed.text)
        return parsed.code

    def variable(self, token: Token) -> None:
        self.read(token, token.contents, rendered=True)

    def tag(self, token: Token, bits: list[str], includes: tuple[str, ...]) -> None:
        name = bits[0]
        if name == "for":
            self.open_for(token, bits)
        elif name == "empty":
            self.close_for(token)
        elif name == "endfor":
            if self.loop_depths and self.loop_depths[-1] == self.indent:
                self.close_for(token)
            if self.loop_depths:
                self.loop_depths.pop()
        elif name in ("if", "elif"):
            for bit in bits[1:]:
                if bit not in _IF_OPERATORS:
                    self.read(token, bit)
        elif name == "with" or name in ("blocktrans", "blocktranslate"):
            self.assignments(token, bits[1:])
        elif name == "include":
            self.include(token, bits, includes)
        elif name in ("url", "querystring", "widthratio"):
            arguments = bits[2:] if name == "url" else bits[1:]
            if "as" in arguments:
                arguments = arguments[: arguments.index("as")]
            for argument in arguments:
                self.read(token, argument.partition("=")[2] if "=" in argument.split("|")[0] else argument)
        elif name in ("firstof", "cycle"):
            arguments = bits[1:]
            if "as" in arguments:
                arguments = arguments[: arguments.index("as")]
            for argument in arguments:
                self.read(token, argument, rendered=True)

    def open_for(self, token: Token, bits: list[str]) -> None:
        if "in" not in bits:
            return
        position = bits.index("in")
        targets = [safe_name(target.strip()) for target in " ".join(bits[1:position]).split(",") if target.strip()]
        if not targets or not all(_IDENTIFIER.match(target) for target in targets) or position + 1 >= len(bits):
            return
        iterable_text = bits[position + 1]
        parsed = expression(iterable_text)
        for argument in parsed.arguments:
            self.statement(token, argument, argument)
        iterable = parsed.code or _UNKNOWN_NAME
        self.remember_names(iterable)
        self.result.emit(self.indent, f"for {', '.join(targets)} in {iterable}:", self.location(token, parsed.text))
        self.indent += 1
        self.loop_depths.append(self.indent)
        self.result.emit(self.indent, "pass", None)

    def close_for(self, token: Token) -> None:
        if self.loop_depths and self.loop_depths[-1] == self.indent:
            self.indent -= 1
            self.loop_depths[-1] = -1  # closed by {% empty %}: {% endfor %} only pops it

    def assignments(self, token: Token, bits: list[str]) -> None:
        if len(bits) >= 3 and bits[1] == "as":
            bits = [f"{bits[2]}={bits[0]}"]
        for bit in bits:
            target, separator, value = bit.partition("=")
            if not separator or not _IDENTIFIER.match(target):
                continue
            code = self.read(token, value)
            self.statement(token, f"{safe_name(target)} = {code or _UNKNOWN_NAME}", value)

    def include(self, token: Token, bits: list[str], includes: tuple[str, ...]) -> None:
        names: tuple[str, ...] = ()
        if len(bits) > 1:
            literal = literal_text(bits[1])
            names = (literal,) if literal is not None else self.variable_include(bits[1])
        if "with" in bits:
            rest = [bit for bit in bits[bits.index("with") + 1 :] if bit != "only"]
            self.assignments(token, rest)
        included = self.loader.index.find_first(names)
        if included is None:
            return
        name = included.name
        if name in includes or len(includes) >= MAX_INCLUDE_DEPTH:
            return
        tokens = self.loader.effective_tokens(self.loader.tokens_of(included), (name,))
        self.translate(tokens, (*includes, name))

    def variable_include(self, text: str) -> tuple[str, ...]:
        if self.resolve_include is None:
            return ()
        if text not in self.result.includes:
            self.result.includes[text] = include_names(text, self.resolve_include)
        return self.result.includes[text]


def include_names(text: str, resolve: IncludeResolver) -> tuple[str, ...]:
    """The template name of ``{% include view.results_template_name|default:"x.html" %}``, as the render's
    context gives it; nothing when the context does not say (the include is then not followed)."""
    variable, filters = split_filters(text)
    value = resolve(variable)
    if isinstance(value, Constant) and isinstance(value.value, str) and value.value:
        return (value.value,)
    if isinstance(value, Constant) and not value.value:
        # ``|default:`` applies only when the context says the variable is empty, not when it is unknown.
        defaults = [literal_text(argument) for name, argument in filters if name == "default" and argument]
        if defaults and defaults[0]:
            return (defaults[0],)
    return ()


# The value a template variable (``view.results_template_name``) has in the render's context.
IncludeResolver = Callable[[str], Value]


def translate(
    loader: TemplateLoader, tokens: list[Token], resolve_include: IncludeResolver | None = None
) -> Translation:
    translation = Translator(loader, resolve_include).translate(loader.effective_tokens(tokens))
    if not translation.lines:
        translation.emit(0, "pass", None)
    return translation


# -- running ---------------------------------------------------------------------------------------------------
class TemplateFrame(DjangoFrame):
    """Runs a translated template: lookups call what they find callable and read dict keys, like the engine."""

    def attribute(self, base: Value, name: str, node: nodes.NodeNG) -> Value:
        if isinstance(base, ContextDict):
            found = base.get(name)
            return found if found is not None else UNKNOWN
        if isinstance(base, DictOf) and name not in ("items", "keys", "values"):
            return base.value
        value = super().attribute(base, name, node)
        # Only the template's own lookups call what they find; code a lookup runs (a property) is plain Python.
        if node.root().name.startswith(TEMPLATE_MODULE_PREFIX):
            return call_as_engine(self, value, node)
        return value


@dataclass(frozen=True)
class TemplateRead:
    """A relation read per row while rendering: the flow event and where it is in the template."""

    event: FlowEvent
    location: Location
    loop: Location | None


def run_template(
    flow: FlowProject,
    translation: Translation,
    context: dict[str, Value],
    path: Path,
    modname: str,
    loops: tuple[nodes.NodeNG, ...] = (),
) -> list[TemplateRead]:
    """Run a translated template with the context's values and return the per-row relation reads; ``loops`` are
    loops around the whole render (a table column's template, rendered once per row)."""
    module = astroid.parse(translation.source, module_name=modname, path=str(path), apply_transforms=False)
    env: dict[str, Value] = dict.fromkeys(translation.names, UNKNOWN)
    env[_UNKNOWN_NAME] = UNKNOWN
    env.update({safe_name(name): value for name, value in context.items()})
    frame = TemplateFrame(flow, module, modname, env, loops, 0, ())
    try:
        frame.run_block(module.body)
    except RecursionError:
        logger.error("[%(path)s] %(message)s", {"path": str(path), "message": "template flow too deep"})
        return []
    reads: list[TemplateRead] = []
    for event in frame.events:
        if event.kind not in TEMPLATE_EVENTS or event.node.root() is not module:
            continue
        location = translation.location(event.node.lineno or 0)
        if location is None:
            continue
        loop = translation.location(event.loop.lineno or 0) if event.loop is not None else None
        reads.append(TemplateRead(event, location, loop))
    return reads
