"""Finding Django templates and reading them: the template folders in Django's search order, each file tokenized
once with Django's own lexer, and ``{% extends %}`` / ``{% block %}`` resolved into the tokens a render runs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.template.base import DebugLexer, TokenType
from django.template.exceptions import TemplateSyntaxError

from analyzer.config import DEFAULT_MAX_FILE_SIZE
from analyzer.context import ProjectContext
from analyzer.filesystem import read_regular_file

logger = logging.getLogger(__name__)

MAX_INCLUDE_DEPTH = 6


@dataclass(frozen=True)
class TemplateFile:
    """A template file found in a template folder, with the name views use to load it."""

    name: str
    path: Path
    display_path: str


class TemplateIndex:
    """Template folders in Django's search order: the settings' DIRS, then each app's ``templates/`` folder."""

    def __init__(self, roots: Iterable[Path], display_path: Callable[[Path], str]) -> None:
        self.roots = list(dict.fromkeys(root.resolve() for root in roots if root.is_dir()))
        self.display_path = display_path
        self.cache: dict[str, TemplateFile | None] = {}

    def find(self, name: str) -> TemplateFile | None:
        if name not in self.cache:
            self.cache[name] = self._find(name)
        return self.cache[name]

    def _find(self, name: str) -> TemplateFile | None:
        if not name or name.startswith("/") or ".." in Path(name).parts:
            return None
        for root in self.roots:
            candidate = root / name
            if candidate.is_file():
                return TemplateFile(name, candidate, self.display_path(candidate))
        return None

    def find_first(self, names: Iterable[str]) -> TemplateFile | None:
        return next((found for found in map(self.find, names) if found is not None), None)


def template_roots(project: ProjectContext) -> list[Path]:
    """Template folders: TEMPLATES DIRS, then the ``templates/`` folder of each package in the analysed tree,
    installed apps first and in INSTALLED_APPS order (Django's app directories loader), then their ``jinja2/``
    folders."""
    packages: dict[str, Path] = {}
    for source in project.files:
        if source.path.name == "__init__.py":
            packages[source.modname] = source.path.parent
    installed: list[Path] = []
    for app in project.settings.installed_apps:
        module = max((name for name in packages if app == name or app.startswith(f"{name}.")), key=len, default=None)
        if module is not None:
            installed.append(packages[module])
    others = sorted(path for path in packages.values() if path not in installed)
    folders = [*project.settings.template_dirs]
    if project.settings.app_dirs or not project.settings.installed_apps:
        folders += [package / "templates" for package in [*installed, *others]]
    # The app folders Django's Jinja2 backend searches (its templates are read by integrations/jinja.py).
    folders += [package / "jinja2" for package in [*installed, *others]]
    return folders


def template_index(project: ProjectContext) -> TemplateIndex:
    return project.shared(
        "integrations.template_index", lambda: TemplateIndex(template_roots(project), project.display_path)
    )


# -- tokens ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    """A lexer token with where it came from: a template file, or a string literal in Python code."""

    kind: TokenType
    contents: str
    template: str  # the template's name ("catalog/book_list.html")
    path: str  # display path of the file that holds the text
    line: int
    column: int  # 1-based column of the token's first character

    def bits(self) -> list[str]:
        try:
            return list(_split_contents(self.contents))
        except (ValueError, StopIteration):
            # Django's splitter gives up on text it cannot split: an unclosed ``_("...`` runs it out of bits
            # (StopIteration, as in Jinja's ``{% set t = _('a')|f(b) %}``), a stray quote raises ValueError.
            return self.contents.split()


# Template inheritance looks at the same block tags many times over (every {% block %} of every parent, for every
# child template): split each tag's text once.
@cache
def _split_contents(contents: str) -> tuple[str, ...]:
    from django.template.base import Token as DjangoToken

    return tuple(DjangoToken(TokenType.BLOCK, contents).split_contents())


def tokenize(text: str, template: str, path: str, line_offset: int = 0, column_offset: int = 0) -> list[Token]:
    """Django's lexer over ``text``; lines and columns are shifted for templates embedded in Python strings."""
    try:
        raw = DebugLexer(text).tokenize()
    except TemplateSyntaxError as error:
        logger.error("[%(path)s] %(message)s", {"path": path, "message": f"cannot tokenize template: {error}"})
        return []
    tokens: list[Token] = []
    for token in raw:
        start = token.position[0] if token.position else 0
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        if line == 1:
            column += column_offset
        tokens.append(Token(token.token_type, token.contents, template, path, line + line_offset, column))
    return tokens


class TemplateLoader:
    """Reads templates once and resolves ``{% extends %}`` into one token stream with the children's blocks."""

    def __init__(self, index: TemplateIndex) -> None:
        self.index = index
        self.token_cache: dict[Path, list[Token]] = {}

    def tokens_of(self, template: TemplateFile) -> list[Token]:
        if template.path not in self.token_cache:
            try:
                # Only a regular file, and never more than the analyzer reads of a Python file.
                text = read_regular_file(template.path, DEFAULT_MAX_FILE_SIZE).decode("utf-8", errors="replace")
            except OSError as error:
                logger.error(
                    "[%(path)s] %(message)s", {"path": template.display_path, "message": f"cannot read: {error}"}
                )
                text = ""
            self.token_cache[template.path] = tokenize(text, template.name, template.display_path)
        return self.token_cache[template.path]

    def effective_tokens(self, tokens: list[Token], seen: tuple[str, ...] = ()) -> list[Token]:
        """The tokens Django renders: the root parent's, with every block replaced by the most derived one."""
        parent_name = _extends_name(tokens)
        if parent_name is None or parent_name in seen or len(seen) > MAX_INCLUDE_DEPTH:
            return tokens
        parent = self.index.find(parent_name)
        if parent is None:
            return tokens
        result = self.effective_tokens(self.tokens_of(parent), (*seen, parent_name))
        for name, content in _blocks(tokens).items():
            result = _replace_block(result, name, content)
        return result


def _extends_name(tokens: list[Token]) -> str | None:
    for token in tokens:
        if token.kind is TokenType.BLOCK:
            bits = token.bits()
            if bits and bits[0] == "extends" and len(bits) == 2:
                return literal_text(bits[1])
            if bits and bits[0] not in ("load", "comment"):
                return None
    return None


def literal_text(bit: str) -> str | None:
    if len(bit) >= 2 and bit[0] == bit[-1] and bit[0] in "\"'":
        return bit[1:-1]
    return None


def _block_name(token: Token) -> str | None:
    if token.kind is not TokenType.BLOCK:
        return None
    bits = token.bits()
    return bits[1] if len(bits) >= 2 and bits[0] == "block" else None


def _is_endblock(token: Token) -> bool:
    return token.kind is TokenType.BLOCK and token.contents.split()[:1] == ["endblock"]


def _block_end(tokens: list[Token], start: int) -> int:
    """The index of the ``endblock`` that closes the block opened at ``start`` (or len(tokens))."""
    depth = 0
    for index in range(start, len(tokens)):
        if _block_name(tokens[index]) is not None:
            depth += 1
        elif _is_endblock(tokens[index]):
            depth -= 1
            if depth == 0:
                return index
    return len(tokens)


def _blocks(tokens: list[Token]) -> dict[str, list[Token]]:
    """Every block a template defines (nested ones too), by name, with its content."""
    found: dict[str, list[Token]] = {}
    for index, token in enumerate(tokens):
        name = _block_name(token)
        if name is not None and name not in found:
            found[name] = tokens[index + 1 : _block_end(tokens, index)]
    return found


def _replace_block(tokens: list[Token], name: str, content: list[Token]) -> list[Token]:
    for index, token in enumerate(tokens):
        if _block_name(token) == name:
            end = _block_end(tokens, index)
            return [*tokens[: index + 1], *content, *tokens[end:]]
    return tokens
