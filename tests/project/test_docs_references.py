"""Docs that cannot drift: every repository path, `path::name`, dotted module
name, test name and relative link that README.md and docs/*.md cite must
exist, so a rename or a deleted test cannot leave a row proving nothing.

What counts as a citation (inside backticks, the whole span):
- a path whose first part is a top-level entry git tracks (`apps/blog/`,
  `tests/ops/test_health.py`, `Makefile`); docs/security.md says its test
  names are under tests/, so there `caching/test_http.py::test_…` is read as
  tests/caching/test_http.py;
- `path::name`: the file defines `name` (a function, class or module-level
  name; `Class.method` for a method);
- a dotted name under apps., project. or tests. (`apps.ops.health.check`);
- `make target …`: the Makefile has the target;
- `::name`: defined in the last module cited before it on the same line;
- `name` in `path.py` (`KeysetPage` in `apps/core/pagination.py`): the module
  defines, imports or assigns it somewhere (a method's name will do);
- a bare `test_name`: defined in the last test module cited before it on the
  same line, or, with none, somewhere under tests/;
- outside backticks, a repository path in running text (apps/blog/views.py),
  and a relative Markdown link `[text](path#anchor)`: the file exists and,
  with an anchor, has that heading or `<a id>`.

A failure names the document, the line and what is missing, one per line, so
whoever merges a branch that brings new citations can fix each at once."""

import ast
import re
import subprocess
from functools import cache
from pathlib import Path

from django.conf import settings

PROJECT_ROOT = Path(settings.BASE_DIR)
DOCUMENTS = ["README.md", *sorted(f"docs/{path.name}" for path in (PROJECT_ROOT / "docs").glob("*.md"))]
# Documents whose `file::test` names are relative to tests/, as they say in their opening.
TEST_RELATIVE_DOCUMENTS = {"docs/security.md": "tests/"}
# Made by `make run` / `make test` from a tracked example, so never in a fresh clone's tree.
GENERATED_PATHS = {"project/settings/local.py"}

CODE_SPAN = re.compile(r"`([^`\n]+)`")
PATH_CITATION = re.compile(r"^(?P<path>[\w.-]+(?:/[\w.*-]+)*/?)(?:::(?P<name>[\w.]+))?$")
DOTTED_CITATION = re.compile(r"^(?:apps|project|tests)(?:\.\w+)+$")
BARE_TEST_NAME = re.compile(r"^test_\w+$")
MEMBER_CITATION = re.compile(r"^::[\w.]+$")
# `make stack`, `make test PYTEST_ARGS=…`: the target, not its arguments.
MAKE_COMMAND = re.compile(r"^make ([a-z][\w-]*)(?:\s|$)")
# `KeysetPage` in `apps/core/pagination.py`, `wait_for_replicas()` in `apps/replicas/health.py`.
NAME_IN_MODULE = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?` in `((?:apps|project|tests)/[\w/]+\.py)`")
# apps/replicas/router.py in running text: a folder, slashes, ending on a word or a slash.
PROSE_PATH = re.compile(r"(?<![\w/.:@~-])([\w.-]+/[\w./-]*[\w/])")
# [text](target) and [text](#anchor) in the same document; not absolute URLs.
RELATIVE_LINK = re.compile(r"\]\((?!https?:|mailto:)([^)\s]+)\)")


@cache
def top_level_entries():
    """The names at the repository's top that git tracks (`apps`, `Makefile`, `.ci`)."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {path.split("/", 1)[0] for path in tracked}


@cache
def defined_names(path):
    """Functions, classes and module-level names of a module; methods as Class.method."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}.{member.name}"
                for member in node.body
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            )
    return names


@cache
def bound_names(path):
    """Every name a module binds anywhere: definitions, methods, imports, assignments."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names | defined_names(path)


@cache
def make_targets():
    return set(re.findall(r"^([\w-]+):", (PROJECT_ROOT / "Makefile").read_text(), flags=re.MULTILINE))


@cache
def every_test_name():
    return {
        name
        for path in (PROJECT_ROOT / "tests").rglob("test_*.py")
        for name in defined_names(path)
        if name.startswith("test_")
    }


@cache
def anchors_in(text):
    """GitHub's heading slugs and the explicit <a id="…"> anchors of a Markdown text."""
    anchors = set(re.findall(r'<a id="([^"]+)"', text))
    for heading in re.findall(r"^#+\s+(.+?)\s*$", text, flags=re.MULTILINE):
        shown = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
        slug = re.sub(r"[^\w\- ]", "", shown.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def check_path(path):
    """Why a cited repository path is missing, or None when it exists."""
    if path in GENERATED_PATHS:
        return None
    if "*" in path:
        return None if list(PROJECT_ROOT.glob(path)) else f"no file matches {path}"
    target = PROJECT_ROOT / path
    if not target.exists():
        return f"no such path {path}"
    if path.endswith("/") and not target.is_dir():
        return f"{path} is not a directory"
    return None


def check_name(path, name):
    """Why `path::name` is missing, or None when the file defines it."""
    missing_path = check_path(path)
    if missing_path:
        return missing_path
    target = PROJECT_ROOT / path
    if target.suffix == ".py":
        found = name in defined_names(target)
    else:
        found = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", target.read_text()) is not None
    return None if found else f"{path} defines no {name}"


def check_dotted(dotted):
    """`apps.ops.health.check`: the longest prefix that is a module, then a name it defines."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_path = PROJECT_ROOT.joinpath(*parts[:split])
        attribute = ".".join(parts[split:])
        for candidate in (module_path.with_suffix(".py"), module_path / "__init__.py"):
            if candidate.is_file():
                if not attribute or attribute in defined_names(candidate):
                    return None
                return f"{candidate.relative_to(PROJECT_ROOT)} defines no {attribute}"
    return f"no module {dotted}"


def check_link(document, text, target):
    """Why a relative Markdown link of `document` (whose text is `text`) is broken, or None."""
    file_part, _, anchor = target.partition("#")
    if not file_part:
        return None if anchor in anchors_in(text) else f"link to {target}: {document} has no anchor #{anchor}"
    linked = (PROJECT_ROOT / document).parent / file_part
    if not linked.exists():
        return f"link to {target}: no such file {linked.resolve().relative_to(PROJECT_ROOT)}"
    if anchor and linked.suffix == ".md" and anchor not in anchors_in(linked.read_text()):
        return f"link to {target}: {linked.relative_to(PROJECT_ROOT)} has no anchor #{anchor}"
    return None


def span_problem(span, tests_prefix, cited):
    """Why the citation in one code span is missing, or None (also when it cites nothing).

    `cited` holds the line's last cited module ("module") and test module
    ("test_module"), which a later `::name` or bare `test_name` refers to."""
    path_citation = PATH_CITATION.match(span)
    if path_citation and ("/" in span or "::" in span or span in top_level_entries()):
        path, name = path_citation["path"], path_citation["name"]
        if tests_prefix and name and name.startswith("test_") and not path.startswith(tests_prefix):
            path = tests_prefix + path
        elif path.split("/", 1)[0] not in top_level_entries():
            return None  # `posts/2026/12/merger.jpg`: a name in the bucket, not in the repository
        if path.endswith(".py"):
            cited["module"] = path
            if re.search(r"(^|/)test_\w+\.py$", path):
                cited["test_module"] = path
        return check_name(path, name) if name else check_path(path)
    if DOTTED_CITATION.match(span):
        return check_dotted(span)
    if make_command := MAKE_COMMAND.match(span):
        target = make_command[1]
        return None if target in make_targets() else f"the Makefile has no target {target}"
    if MEMBER_CITATION.match(span):
        module = cited.get("module")
        return check_name(module, span[2:]) if module else "no module cited before it on the line"
    if BARE_TEST_NAME.match(span):
        if cited.get("test_module"):
            return check_name(cited["test_module"], span)
        return None if span in every_test_name() else f"no test named {span} under tests/"
    return None


def citation_problems(document, text):
    """One `document:line: problem` string for each citation that does not exist."""
    problems = []
    tests_prefix = TEST_RELATIVE_DOCUMENTS.get(document)
    for line_number, line in enumerate(text.splitlines(), start=1):
        cited = {}
        for span in CODE_SPAN.findall(line):
            problem = span_problem(span.strip(), tests_prefix, cited)
            if problem:
                problems.append(f"{document}:{line_number}: `{span.strip()}`: {problem}")
        for name, path in NAME_IN_MODULE.findall(line):
            problem = check_path(path) or (
                None if name in bound_names(PROJECT_ROOT / path) else f"{path} has no {name}"
            )
            if problem:
                problems.append(f"{document}:{line_number}: `{name}` in `{path}`: {problem}")
        prose = CODE_SPAN.sub("", line)
        for target in RELATIVE_LINK.findall(prose):
            problem = check_link(document, text, target)
            if problem:
                problems.append(f"{document}:{line_number}: {problem}")
        for path in PROSE_PATH.findall(RELATIVE_LINK.sub("]", prose)):
            if path.split("/", 1)[0] in top_level_entries():
                problem = check_path(path)
                if problem:
                    problems.append(f"{document}:{line_number}: {path}: {problem}")
    return problems


def test_the_checker_names_the_line_and_what_is_missing_for_each_kind_of_citation():
    text = (
        "Fine: `apps/blog/querysets.py::PostQuerySet.published`, `project/config.py`, `Makefile`,\n"
        "`apps.ops.health`, `tests/project/test_test_imports.py`, "
        "`test_no_module_under_tests_imports_a_test_module`,\n"
        "`base.py`, `make test PYTEST_ARGS=-x`, `.services/`, "
        "[configuration](configuration.md#configuration).\n"
        "Stale: `apps/blog/gone.py` `apps/blog/querysets.py::gone` `apps.blog.querysets.Gone`\n"
        "`tests/project/test_config.py` `test_no_module_under_tests_imports_a_test_module`\n"
        "[a](missing.md) [b](architecture.md#no-such-heading) [c](#stale)\n"
        "Prose: apps/blog/querysets.py, apps/blog/gone.py (stale); https://example.com/apps/x is no path\n"
        "paths; `tests/project/test_config.py` `::gone`, `::test_optional_key_falls_back_to_the_default`.\n"
        "`KeysetPage` in `apps/core/pagination.py`, `Gone()` in `apps/core/pagination.py`\n"
        "`make test PYTEST_ARGS=-x` `make gone`\n"
    )
    assert citation_problems("docs/example.md", text) == [
        "docs/example.md:4: `apps/blog/gone.py`: no such path apps/blog/gone.py",
        "docs/example.md:4: `apps/blog/querysets.py::gone`: apps/blog/querysets.py defines no gone",
        "docs/example.md:4: `apps.blog.querysets.Gone`: apps/blog/querysets.py defines no Gone",
        "docs/example.md:5: `test_no_module_under_tests_imports_a_test_module`: "
        "tests/project/test_config.py defines no test_no_module_under_tests_imports_a_test_module",
        "docs/example.md:6: link to missing.md: no such file docs/missing.md",
        "docs/example.md:6: link to architecture.md#no-such-heading: "
        "docs/architecture.md has no anchor #no-such-heading",
        "docs/example.md:6: link to #stale: docs/example.md has no anchor #stale",
        "docs/example.md:7: apps/blog/gone.py: no such path apps/blog/gone.py",
        "docs/example.md:8: `::gone`: tests/project/test_config.py defines no gone",
        "docs/example.md:9: `Gone` in `apps/core/pagination.py`: apps/core/pagination.py has no Gone",
        "docs/example.md:10: `make gone`: the Makefile has no target gone",
    ]


def test_every_path_name_and_test_cited_in_the_readme_and_docs_exists():
    problems = [
        problem
        for document in DOCUMENTS
        for problem in citation_problems(document, (PROJECT_ROOT / document).read_text())
    ]
    assert not problems, "stale citations (fix the doc or the name):\n" + "\n".join(problems)


def layout_table_paths():
    """The paths the first column of the README's layout table names."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split(" | ", 1)[0] for row in table.splitlines() if row.startswith("| `")]
    return {path for cell in first_cells for path in CODE_SPAN.findall(cell)}


def test_the_readme_layout_table_is_the_one_map_of_every_folder_and_app():
    """The other docs link to it (docs/architecture.md), so it names each
    top-level folder git tracks and each app; a new one cannot go unmapped."""
    rows = layout_table_paths()
    folders = {entry for entry in top_level_entries() if (PROJECT_ROOT / entry).is_dir()}
    apps = {f"apps/{path.parent.name}/" for path in (PROJECT_ROOT / "apps").glob("*/apps.py")}
    unmapped = sorted(
        name
        for name in folders | apps
        if not any(row == name or row.startswith(name.rstrip("/") + "/") for row in rows)
    )
    assert unmapped == [], "add a row to the README's layout table for each"
