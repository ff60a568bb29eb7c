"""docs/security.md names the test behind each row: every name must exist,
so a renamed or deleted test cannot leave a row proving nothing."""

import ast
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECURITY_DOC = PROJECT_ROOT / "docs" / "security.md"
# `blog/test_popularity.py::test_name` (under tests/) or `apps/security/clients.py::is_same_origin`.
REFERENCE = re.compile(r"`((?:apps/)?[a-z_/]+\.py)::([A-Za-z_0-9]+)`")


def defined_names(path):
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def test_every_test_and_code_named_in_security_md_exists():
    references = REFERENCE.findall(SECURITY_DOC.read_text())
    assert len(references) > 40
    missing = []
    for file_name, name in references:
        path = (
            PROJECT_ROOT / file_name if file_name.startswith("apps/") else PROJECT_ROOT / "tests" / file_name
        )
        if not path.exists() or name not in defined_names(path):
            missing.append(f"{file_name}::{name}")
    assert missing == []
