"""Naming a ``django.db.models`` class (``Count``, ``Prefetch``) in the module an edit adds it to.

The module's own import is used when it has one (``from django.db.models import Count``, or ``models`` from
``django.db``); otherwise ``from django.db.models import <name>`` is added with libcst's import helper, which
puts it with the other imports.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

MODELS_MODULE = "django.db.models"


def models_reference(module: cst.Module, name: str) -> tuple[cst.BaseExpression, bool]:
    """How ``module`` can name ``django.db.models.<name>``, and whether an import must be added for it."""
    plain = False
    through_models = False
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not isinstance(small, cst.ImportFrom) or small.relative or small.module is None:
                continue
            if isinstance(small.names, cst.ImportStar):
                continue
            source = module.code_for_node(small.module)
            for alias in small.names:
                if alias.asname is not None or not isinstance(alias.name, cst.Name):
                    continue
                plain = plain or (source == MODELS_MODULE and alias.name.value == name)
                through_models = through_models or (source == "django.db" and alias.name.value == "models")
    if plain:
        return cst.Name(name), False
    if through_models:
        return cst.Attribute(value=cst.Name("models"), attr=cst.Name(name)), False
    return cst.Name(name), True


def with_models_import(module: cst.Module, name: str) -> cst.Module:
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, MODELS_MODULE, name)
    return AddImportsVisitor(context).transform_module(module)
