"""The settings reader: finding the settings module and reading it statically, without importing anything."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.context import SettingsInfo, SourceFile
from analyzer.discovery import discover
from analyzer.settings_reader import find_settings_module, read_settings, read_settings_file
from tests.analyzer.helpers import write_tree


def read(tmp_path: Path, source: str) -> SettingsInfo:
    path = tmp_path / "proj" / "settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / "__init__.py").touch()
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return read_settings_file(path, "proj.settings")


def sources(root: Path) -> list[SourceFile]:
    return discover([Path(".")], root).files


@pytest.mark.parametrize(
    "source",
    [
        'INSTALLED_APPS = ["django.contrib.auth", "shop"]',
        'INSTALLED_APPS = ("django.contrib.auth", "shop")',
        'INSTALLED_APPS = ["django.contrib.auth"]\nINSTALLED_APPS += ["shop"]',
        'INSTALLED_APPS = ("django.contrib.auth",)\nINSTALLED_APPS += ("shop",)',
        'DJANGO = ["django.contrib.auth"]\nLOCAL = ["shop"]\nINSTALLED_APPS = [*DJANGO, *LOCAL]',
        'DJANGO = ["django.contrib.auth"]\nINSTALLED_APPS = DJANGO + ["shop"]',
        'INSTALLED_APPS = ["django.contrib.auth"]\nINSTALLED_APPS.append("shop")',
        'INSTALLED_APPS = ["shop"]\nINSTALLED_APPS.insert(0, "django.contrib.auth")',
        'INSTALLED_APPS = []\nINSTALLED_APPS.extend(["django.contrib.auth", "shop"])',
        'INSTALLED_APPS: list[str] = ["django.contrib.auth", "shop"]',
        'DEBUG = False\nINSTALLED_APPS = ["django.contrib.auth", "shop"]\n'
        'if DEBUG:\n    INSTALLED_APPS += ["debug_toolbar"]',
        'INSTALLED_APPS = ["django.contrib.auth", "shop"]\nif feature_flag():\n    INSTALLED_APPS += ["x"]',
        'INSTALLED_APPS = ["django.contrib.auth", load_plugin(), "shop"]',
    ],
    ids=[
        "list",
        "tuple",
        "augmented",
        "augmented-tuple",
        "starred",
        "concatenation",
        "append",
        "insert",
        "extend",
        "annotated",
        "if-debug-false",
        "unknown-condition-skipped",
        "unknown-item-skipped",
    ],
)
def test_installed_apps_literal_variants(tmp_path: Path, source: str) -> None:
    assert read(tmp_path, source).installed_apps == ("django.contrib.auth", "shop")


def test_auth_user_model_and_defaults(tmp_path: Path) -> None:
    assert read(tmp_path, 'AUTH_USER_MODEL = "accounts.User"\n').auth_user_model == "accounts.User"
    assert read(tmp_path, "AUTH_USER_MODEL = get_model()\n").auth_user_model == "auth.User"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            """
            from pathlib import Path
            BASE_DIR = Path(__file__).resolve().parent.parent
            TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                          "DIRS": [BASE_DIR / "templates"], "APP_DIRS": True}]
            """,
            ("templates",),
        ),
        (
            """
            import os
            BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                          "DIRS": [os.path.join(BASE_DIR, "templates"), os.path.join(BASE_DIR, "proj", "tpl")]}]
            """,
            ("templates", "proj/tpl"),
        ),
        (
            """
            from pathlib import Path
            BASE_DIR = Path(__file__).resolve().parents[1]
            TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                          "DIRS": [str(BASE_DIR.joinpath("templates")), "/srv/templates"]}]
            """,
            ("templates", "/srv/templates"),
        ),
        (
            """
            TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": ["templates"]}]
            TEMPLATES[0]["DIRS"] += [f"{'shared'}/templates", compute_dir()]
            """,
            ("templates", "shared/templates"),
        ),
    ],
    ids=["pathlib-div", "os-path-join", "parents-joinpath-absolute", "relative-and-item-assignment"],
)
def test_template_dirs_variants(tmp_path: Path, source: str, expected: tuple[str, ...]) -> None:
    info = read(tmp_path, source)

    # Relative folders are relative to the settings' import root (tmp_path here), like BASE_DIR usually is.
    assert info.template_dirs == tuple(Path(path) if path.startswith("/") else tmp_path / path for path in expected)


def test_app_dirs_follows_the_django_backend_and_django_defaults(tmp_path: Path) -> None:
    backend = '"BACKEND": "django.template.backends.django.DjangoTemplates"'
    assert read(tmp_path, f"TEMPLATES = [{{{backend}, 'APP_DIRS': True}}]").app_dirs is True
    # Django's own default once TEMPLATES is set.
    assert read(tmp_path, f"TEMPLATES = [{{{backend}}}]").app_dirs is False
    # Django's Jinja2 backend: its DIRS are searched; its app folders are jinja2/, always searched, not templates/.
    jinja = 'TEMPLATES = [{"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": ["j"], "APP_DIRS": True}]'
    assert read(tmp_path, jinja) == SettingsInfo(
        module="proj.settings", path=tmp_path / "proj" / "settings.py", template_dirs=(tmp_path / "j",), app_dirs=False
    )
    # django-jinja searches the apps' templates/ folders.
    django_jinja = 'TEMPLATES = [{"BACKEND": "django_jinja.backend.Jinja2", "APP_DIRS": True}]'
    assert read(tmp_path, django_jinja).app_dirs is True


_LOADERS = {
    "app-directories-loader-without-app-dirs": (
        """
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": ["templates"],
                      "OPTIONS": {"loaders": ["django.template.loaders.filesystem.Loader",
                                              "django.template.loaders.app_directories.Loader"]}}]
        """,
        True,
        ("templates",),
    ),
    "cached-loader-wrapping-a-variable": (
        """
        loaders = ("django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader")
        loaders = (("django.template.loaders.cached.Loader", loaders),)
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "OPTIONS": {"loaders": loaders}}]
        """,
        True,
        (),
    ),
    "filesystem-loader-with-its-own-folders": (
        """
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                      "OPTIONS": {"loaders": [("django.template.loaders.filesystem.Loader", ["shared/tpl"])]}}]
        """,
        False,
        ("shared/tpl",),
    ),
    "loaders-not-readable": (
        """
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                      "OPTIONS": {"loaders": compute_loaders()}}]
        """,
        True,
        (),
    ),
    "locmem-loader-only": (
        """
        TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates",
                      "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {"a.html": "x"})]}}]
        """,
        False,
        (),
    ),
}


@pytest.mark.parametrize(("source", "app_dirs", "folders"), list(_LOADERS.values()), ids=list(_LOADERS))
def test_template_loaders_decide_app_folders_and_add_folders(
    tmp_path: Path, source: str, app_dirs: bool, folders: tuple[str, ...]
) -> None:
    info = read(tmp_path, source)

    assert (info.app_dirs, info.template_dirs) == (app_dirs, tuple(tmp_path / folder for folder in folders))


def test_unresolvable_settings_are_skipped_never_a_crash(tmp_path: Path) -> None:
    info = read(
        tmp_path,
        """
        from .secrets import *
        import environ
        env = environ.Env()
        INSTALLED_APPS = env.list("APPS") + ["shop"]
        TEMPLATES = [{"DIRS": [1 / 0, None], "APP_DIRS": True}]
        TEMPLATES[5]["DIRS"] = []
        AUTH_USER_MODEL = ["not", "a", "string"]
        X = [][3]
        """,
    )

    assert info == SettingsInfo(
        module="proj.settings", path=tmp_path / "proj" / "settings.py", installed_apps=(), app_dirs=True
    )


def test_star_import_from_a_base_module_in_a_settings_package(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "site/settings/base.py": 'INSTALLED_APPS = ["django.contrib.auth"]\nAUTH_USER_MODEL = "users.User"\n',
            "site/settings/dev.py": 'from .base import *\nINSTALLED_APPS += ["debug_toolbar"]\n',
        },
    )

    info = read_settings_file(tmp_path / "site" / "settings" / "dev.py", "site.settings.dev")

    assert info.installed_apps == ("django.contrib.auth", "debug_toolbar")
    assert info.auth_user_model == "users.User"


def test_settings_module_from_configuration(tmp_path: Path) -> None:
    write_tree(tmp_path, {"conf/prod.py": 'INSTALLED_APPS = ["shop"]\n', "conf/settings.py": "INSTALLED_APPS = []\n"})

    info = read_settings(sources(tmp_path), "conf.prod")

    assert (info.module, info.installed_apps) == ("conf.prod", ("shop",))


def test_configured_settings_module_that_does_not_exist_gives_defaults(tmp_path: Path) -> None:
    write_tree(tmp_path, {"conf/settings.py": 'INSTALLED_APPS = ["shop"]\n'})

    assert read_settings(sources(tmp_path), "conf.missing") == SettingsInfo()


def test_settings_module_from_manage_py(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "site/settings.py": 'INSTALLED_APPS = ["wrong"]\n',
            "site/config.py": 'INSTALLED_APPS = ["right"]\n',
        },
    )
    (tmp_path / "manage.py").write_text(
        'import os\ndef main():\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.config")\n',
        encoding="utf-8",
    )

    info = read_settings(sources(tmp_path))

    assert (info.module, info.path, info.installed_apps) == ("site.config", tmp_path / "site" / "config.py", ("right",))


def test_manage_py_outside_the_analysed_paths_is_found_through_the_import_root(tmp_path: Path) -> None:
    write_tree(tmp_path, {"shop/views.py": "", "site/config.py": 'INSTALLED_APPS = ["shop"]\n'})
    (tmp_path / "manage.py").write_text(
        'import os\nos.environ["DJANGO_SETTINGS_MODULE"] = "site.config"\n', encoding="utf-8"
    )

    files = discover([Path("shop")], tmp_path).files
    assert find_settings_module(files) == ("site.config", tmp_path / "site" / "config.py")


def test_settings_module_guessed_by_name_when_it_assigns_installed_apps(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "docs/settings.py": "THEME = 'dark'\n",
            "site/settings.py": 'INSTALLED_APPS = ["shop"]\n',
        },
    )

    assert find_settings_module(sources(tmp_path)) == ("site.settings", tmp_path / "site" / "settings.py")


def test_settings_package_prefers_dev_over_base(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "site/settings/base.py": 'INSTALLED_APPS = ["shop"]\n',
            "site/settings/dev.py": 'from .base import *\nINSTALLED_APPS += ["debug_toolbar"]\n',
            "site/settings/prod.py": "from .base import *\n",
        },
    )

    info = read_settings(sources(tmp_path))

    assert (info.module, info.installed_apps) == ("site.settings.dev", ("shop", "debug_toolbar"))


def test_example_project_settings(tmp_path: Path) -> None:
    project = Path(__file__).resolve().parents[2] / "example_project"

    info = read_settings(discover([Path("bookshop"), Path("manage.py")], project).files)

    assert info.module == "bookshop.settings"
    assert info.installed_apps[-4:] == ("core", "accounts", "catalog", "orders")
    assert info.template_dirs == (project / "templates",)
    assert (info.auth_user_model, info.app_dirs) == ("auth.User", True)


def test_template_folders_built_by_a_path_helper_and_app_loaders(tmp_path: Path) -> None:
    info = read(
        tmp_path,
        """
        import os

        location = lambda x: os.path.join(os.path.dirname(os.path.realpath(__file__)), x)


        def shared(name):
            \"\"\"A folder beside the project.\"\"\"
            return os.path.join(os.path.dirname(os.path.dirname(__file__)), name)


        TEMPLATES = [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [location("_site/templates"), shared("themes"), location(UNDEFINED)],
                "OPTIONS": {
                    "loaders": [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ]
                },
            }
        ]
        """,
    )
    assert info.template_dirs == (tmp_path / "proj" / "_site" / "templates", tmp_path / "themes")
    assert info.app_dirs is True
