#!/usr/bin/env bash
# Packaging, checked the way users install: build the wheel from the working tree, install it into a fresh venv
# without the development requirements, and run each entry point once on a small Django project written here:
# the console script, `python -m analyzer` (in an app folder holding a selectors.py), the pytest plugin
# (`pytest --detect-nplusone`, with only pytest and pytest-django added, as a user would) and the middleware
# (a real HTTP request to a threaded server). Usage: bash .ci/packaging.sh  (PYTHON=python3.12 to pick another).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fail() {
    echo "packaging check failed: $*" >&2
    exit 1
}

echo "== build the wheel from a copy of the tracked files"
mkdir -p "$WORK/source"
git ls-files -z | xargs -0 tar --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$WORK/source"
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$WORK/source"
WHEEL="$(ls "$WORK"/dist/django_orm_analyzer-*.whl)"

echo "== install $(basename "$WHEEL") into a fresh venv (its own dependencies only)"
"$PYTHON" -m venv "$WORK/venv"
BIN="$WORK/venv/bin"
"$BIN/python" -m pip install --quiet "$WHEEL"

echo "== write a small Django project"
SAMPLE="$WORK/sample"
mkdir -p "$SAMPLE/shop"
touch "$SAMPLE/shop/__init__.py"
cat >"$SAMPLE/shop/models.py" <<'EOF'
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)

    def __str__(self):
        return self.name


class Book(models.Model):
    title = models.CharField(max_length=50)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

    def __str__(self):
        return self.title
EOF
cat >"$SAMPLE/shop/views.py" <<'EOF'
from django.http import HttpResponse

from shop.models import Book


def book_list(request):
    return HttpResponse(", ".join(book.author.name for book in Book.objects.all()))
EOF
cat >"$SAMPLE/sample_settings.py" <<'EOF'
import os

SECRET_KEY = "packaging-check"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["runtime.middleware.NPlusOneMiddleware"]
ROOT_URLCONF = "sample_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("SAMPLE_DB", ":memory:")}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
ORM_ANALYZER = {"ENABLED": True, "ACTION": "log"}
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"runtime": {"handlers": ["stderr"], "level": "WARNING"}},
}
EOF
cat >"$SAMPLE/sample_urls.py" <<'EOF'
from django.urls import path

from shop.views import book_list

urlpatterns = [path("books/", book_list)]
EOF
cat >"$SAMPLE/test_shop.py" <<'EOF'
import pytest
from django.test import Client

from shop.models import Author, Book


@pytest.mark.django_db
def test_book_list():
    for number in range(3):
        Book.objects.create(title=f"book{number}", author=Author.objects.create(name=f"author{number}"))
    assert Client().get("/books/").status_code == 200
EOF
printf '[pytest]\nDJANGO_SETTINGS_MODULE = sample_settings\npythonpath = .\n' >"$SAMPLE/pytest.ini"
# The services-and-selectors layout: `python -m analyzer .` run in the app folder must never import this file.
printf 'raise SystemExit("the project selectors.py was imported")\n' >"$SAMPLE/shop/selectors.py"
cat >"$SAMPLE/serve_once.py" <<'EOF'
import os
import threading
import urllib.request

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_settings")
django.setup()

from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

from shop.models import Author, Book

call_command("migrate", run_syncdb=True, verbosity=0)
for number in range(3):
    Book.objects.create(title=f"book{number}", author=Author.objects.create(name=f"author{number}"))


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
server.set_app(get_wsgi_application())
threading.Thread(target=server.serve_forever, daemon=True).start()
with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/books/", timeout=30) as response:
    print(response.status, response.read().decode())
server.shutdown()
EOF
EXPECTED='shop/views.py:7:35: ORM101 [*] book.author is loaded once per row of Book.objects.all() (line 7); add .select_related("author") there'

echo "== console script: django-orm-analyzer"
set +e
OUTPUT="$(cd "$SAMPLE" && "$BIN/django-orm-analyzer" shop --no-cache --show-fix)"
CODE=$?
set -e
[ "$CODE" -eq 1 ] || fail "console script exited $CODE, expected 1 (findings)"
[ "$(head -n 1 <<<"$OUTPUT")" = "$EXPECTED" ] || fail "console script printed: $OUTPUT"

echo "== python -m analyzer, in the app folder that holds selectors.py"
set +e
OUTPUT="$(cd "$SAMPLE/shop" && "$BIN/python" -m analyzer . --no-cache --show-fix)"
CODE=$?
set -e
[ "$CODE" -eq 1 ] || fail "python -m analyzer exited $CODE, expected 1 (findings): $OUTPUT"
[ "$(head -n 1 <<<"$OUTPUT")" = "${EXPECTED#shop/}" ] || fail "python -m analyzer printed: $OUTPUT"

echo "== pytest plugin: pytest --detect-nplusone (pytest and pytest-django installed, nothing else)"
"$BIN/python" -m pip install --quiet pytest pytest-django
set +e
OUTPUT="$(cd "$SAMPLE" && "$BIN/pytest" -q -p no:cacheprovider --detect-nplusone test_shop.py 2>&1)"
CODE=$?
set -e
[ "$CODE" -eq 1 ] || fail "pytest --detect-nplusone exited $CODE, expected 1 (the N+1 fails the test): $OUTPUT"
grep -q 'N+1 detected on shop.Book.author at shop/views.py:7' <<<"$OUTPUT" || fail "pytest printed: $OUTPUT"

echo "== middleware: one real HTTP request"
OUTPUT="$(cd "$SAMPLE" && SAMPLE_DB="$WORK/sample.sqlite3" "$BIN/python" serve_once.py 2>&1)"
grep -q '^200 author0, author1, author2$' <<<"$OUTPUT" || fail "the request was not served: $OUTPUT"
grep -qF '[shop:book_list] N+1 detected on shop.Book.author at shop/views.py:7 in book_list (3 queries)' <<<"$OUTPUT" \
    || fail "the middleware logged: $OUTPUT"

echo "packaging check passed: $(basename "$WHEEL") runs its four entry points in a fresh venv"
