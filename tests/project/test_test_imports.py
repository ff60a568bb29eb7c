"""A test module is never a library: what two tests share lives in
tests/support/ (or tests/factories.py), imported by name. Importing another
test module runs its module-level code and collects its fixtures a second
time, and couples the two so that a rename in one breaks the other.

Every module under tests/ is read with ast (function-level imports too)."""

import ast
from pathlib import Path

from django.conf import settings

TESTS_DIR = Path(settings.BASE_DIR) / "tests"


def is_test_module(dotted_name):
    return dotted_name.rsplit(".", 1)[-1].startswith("test_")


def imported_test_modules(source):
    """The test modules (test_*) that a module's source imports, as written."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if is_test_module(alias.name))
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if is_test_module(module):
                yield module
            else:
                # `from tests.caching import test_pages` imports the module itself.
                yield from (f"{module}.{alias.name}" for alias in node.names if is_test_module(alias.name))


def test_the_check_finds_every_spelling_of_a_test_module_import():
    source = (
        "from tests.caching.test_pages import page_urls\n"
        "from .test_deploy_settings import filled_in_config\n"
        "from tests.caching import test_pages\n"
        "def late():\n"
        "    import tests.project.test_config\n"
        "from tests.support.pages import page_urls\n"
        "from tests import factories\n"
    )
    assert list(imported_test_modules(source)) == [
        "tests.caching.test_pages",
        ".test_deploy_settings",
        "tests.caching.test_pages",
        "tests.project.test_config",
    ]


def test_no_module_under_tests_imports_a_test_module():
    imports = sorted(
        f"{path.relative_to(TESTS_DIR.parent)} imports {module}"
        for path in TESTS_DIR.rglob("*.py")
        for module in imported_test_modules(path.read_text())
    )
    assert imports == [], "move what they share into tests/support/"
