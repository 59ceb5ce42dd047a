"""The project summary: what the analysis understood (settings, models, apps, template folders, views, serializers,
admin classes) and the warnings about what it could not see, in the text footer and the JSON ``project`` object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.findings import ProjectSummary
from tests.analyzer.helpers import analyze_tree, write_tree

SETTINGS = """
INSTALLED_APPS = ["django.contrib.admin", "shop"]
loaders = ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {"loaders": loaders}}]
"""

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
"""

VIEWS = """
from django.shortcuts import render
from django.views.generic import ListView

from shop.models import Book


class BookList(ListView):
    model = Book
    paginate_by = 20


def book_page(request):
    return render(request, "shop/book.html", {"books": Book.objects.select_related("author")})
"""

SERIALIZERS = """
from rest_framework import serializers

from shop.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title"]
"""

ADMIN = """
from django.contrib import admin

from shop.models import Book


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["title"]
"""


def shop_files() -> dict[str, str]:
    return {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")\n',
        "config/settings.py": SETTINGS,
        "shop/models.py": MODELS,
        "shop/views.py": VIEWS,
        "shop/serializers.py": SERIALIZERS,
        "shop/admin.py": ADMIN,
        "shop/templates/shop/book.html": "{% for book in books %}{{ book.author.name }}{% endfor %}\n",
    }


def test_a_project_is_summarised_with_template_folders_from_the_app_directories_loader(tmp_path: Path) -> None:
    result = analyze_tree(tmp_path, shop_files())

    assert result.project == ProjectSummary(
        settings_module="config.settings",
        models=2,
        apps=1,
        template_folders=1,
        views=2,
        serializers=1,
        admin_classes=1,
    )


def test_the_text_footer_and_the_json_project_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, shop_files())
    monkeypatch.chdir(tmp_path)

    assert main([".", "--no-cache", "--select", "ORM110"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "Project: settings config.settings; 2 models, 1 app, 1 template folder, 2 views, 1 serializer, 1 admin class."
    )
    assert main([".", "--no-cache", "--format", "json", "--select", "ORM110"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == 1
    assert document["project"] == {
        "settings": "config.settings",
        "models": 2,
        "apps": 1,
        "template_folders": 1,
        "views": 2,
        "serializers": 1,
        "admin_classes": 1,
        "warnings": [],
    }


def test_models_whose_base_lies_outside_the_analysed_paths_are_named(tmp_path: Path) -> None:
    files = {
        "core/models.py": "from django.db import models\n\n\nclass Stamped(models.Model):\n"
        "    created = models.DateTimeField()\n\n    class Meta:\n        abstract = True\n",
        "shop/models.py": """
            from django.db import models

            from core.models import Stamped


            class Book(Stamped):
                title = models.CharField(max_length=100)
                shelf = models.ForeignKey("storage.Shelf", on_delete=models.CASCADE)
            """,
    }
    write_tree(tmp_path, files)

    project = analyze_tree(tmp_path / "shop", {}).project

    assert project is not None
    # Book declares model fields, so it is a model even on a base the analysis cannot read.
    assert project.warnings == (
        "1 model is built on a base class not found under the analysed paths, so the fields inherited from it are "
        "unknown: Book (base core.models.Stamped); analyse the folder that holds the base class as well",
        "1 relation points to a model not found under the analysed paths, so what it loads is unknown: Book.shelf",
    )


def test_relations_to_models_not_found_are_named(tmp_path: Path) -> None:
    files = {
        "shop/models.py": """
            from django.db import models


            class Book(models.Model):
                title = models.CharField(max_length=100)
                shelf = models.ForeignKey("storage.Shelf", on_delete=models.CASCADE)
            """,
    }
    project = analyze_tree(tmp_path, files).project

    assert project is not None
    assert project.warnings == (
        "1 relation points to a model not found under the analysed paths, so what it loads is unknown: Book.shelf",
    )


def test_templates_rendered_with_no_template_folder_found_are_a_warning(tmp_path: Path) -> None:
    files = {
        "shop/models.py": MODELS,
        "shop/views.py": VIEWS,
        "config/settings.py": 'INSTALLED_APPS = ["shop"]\nTEMPLATES = [{"BACKEND": '
        '"django.template.backends.django.DjangoTemplates", "DIRS": ["templates"]}]\n',
    }
    project = analyze_tree(tmp_path, files).project

    assert project is not None
    assert project.template_folders == 0
    assert project.warnings == (
        "views render templates (shop/book.html) but no template folder was found, so templates are not checked "
        "(ORM110); set TEMPLATES DIRS or APP_DIRS in the settings, or name the settings module with --settings",
    )
