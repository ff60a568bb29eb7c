"""config.json's keys are declared once, in project/config.py's CONFIG_KEYS:
docs/configuration.md's table and config.json.example must say the same, so
a key added, renamed or given a new default cannot leave either behind."""

import json
import re
from pathlib import Path

from django.conf import settings

from project.config import CONFIG_KEYS
from tests.support.deploy import EXAMPLE_CONFIG

CONFIGURATION_DOC = Path(settings.BASE_DIR) / "docs" / "configuration.md"
DOC_TYPE_NAMES = {str: "string", bool: "bool", int: "int", list: "list"}
TABLE_HEADER = "| key | kind | type | default | meaning |"


def documented_keys():
    """{key: (kind, type, default)} from the table's rows; a row may name several keys."""
    lines = CONFIGURATION_DOC.read_text().splitlines()
    rows = lines[lines.index(TABLE_HEADER) + 2 :]
    documented = {}
    for row in rows:
        if not row.startswith("|"):
            break
        key_cell, kind, type_name, default = (cell.strip() for cell in row.strip("|").split(" | ")[:4])
        for key in re.findall(r"`(\w+)`", key_cell):
            assert key not in documented, f"{key} has two rows"
            documented[key] = (kind, type_name, default)
    return documented


def declared_row(key):
    default = "—" if key.default is None else f"`{json.dumps(key.default)}`"
    return key.kind, DOC_TYPE_NAMES[key.type], default


def test_configuration_md_lists_every_declared_key_with_its_kind_type_and_default():
    assert documented_keys() == {key.name: declared_row(key) for key in CONFIG_KEYS}


def test_the_example_holds_every_declared_key_of_its_type():
    assert list(EXAMPLE_CONFIG) == [key.name for key in CONFIG_KEYS]
    for key in CONFIG_KEYS:
        assert type(EXAMPLE_CONFIG[key.name]) is key.type, key.name
