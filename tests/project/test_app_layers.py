"""Imports run one way: each app uses only the apps below it (apps/__init__.py).

A loop between apps is a sign that a piece lives in the wrong room; this test
reads every module's imports (function-level ones too) with ast, so a
shortcut import inside a function cannot hide one.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

APPS_DIR = Path(settings.BASE_DIR) / "apps"
# Lowest first: an app may import those before it in this list, never after.
LAYERS = ["core", "security", "replicas", "ops", "caching", "images", "blog"]


def imported_apps(module_path):
    """Names of the apps (under apps.) that one module imports."""
    tree = ast.parse(module_path.read_text(), filename=str(module_path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "apps" and len(parts) > 1:
                yield parts[1]


def test_every_app_has_a_layer():
    app_folders = {path.parent.name for path in APPS_DIR.glob("*/apps.py")}
    assert app_folders == set(LAYERS)


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    wrong_way = sorted(
        f"{module_path.relative_to(APPS_DIR.parent)} imports apps.{imported}"
        for module_path in (APPS_DIR / app).rglob("*.py")
        for imported in imported_apps(module_path)
        if imported not in allowed
    )
    assert wrong_way == []


def test_every_app_says_what_it_owns():
    for app in LAYERS:
        docstring = ast.get_docstring(ast.parse((APPS_DIR / app / "__init__.py").read_text()))
        assert docstring, f"apps/{app}/__init__.py has no docstring"
