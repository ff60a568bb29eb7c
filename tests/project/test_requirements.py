"""The hashed locks under requirements/: each .in and its .txt agree, every
package is pinned with its hashes, and every install refuses anything else.

`make lock` writes the .txt files (uv pip compile --generate-hashes); these
tests read them offline, so they fail on a .in edited without `make lock`.
"""

import re
import subprocess
import sys
import zipfile
from base64 import urlsafe_b64encode
from hashlib import sha256
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = PROJECT_ROOT / "requirements"
LOCK_NAMES = sorted(path.stem for path in REQUIREMENTS.glob("*.in"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def read_in(path, seen=None):
    """(requirements, constraint files) of a .in file, following its -r includes."""
    seen = seen if seen is not None else set()
    requirements, constraints = [], []
    for raw_line in path.read_text().splitlines():
        line = raw_line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        option, _, argument = line.partition(" ")
        if option == "-r":
            included = (path.parent / argument).resolve()
            if included not in seen:
                seen.add(included)
                more_requirements, more_constraints = read_in(included, seen)
                requirements += more_requirements
                constraints += more_constraints
        elif option == "-c":
            constraints.append((path.parent / argument).resolve())
        else:
            requirements.append(Requirement(line))
    return requirements, constraints


def read_lock(path):
    """{package: (version, hashes, via)} of a .txt lock written by uv."""
    pins, current = {}, None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), [], [])
        elif line.startswith("    --hash="):
            pins[current][1].append(line.split("=", 1)[1].rstrip(" \\"))
        elif line.startswith("    # via"):
            origin = line.removeprefix("    # via").strip()
            pins[current][2].extend([origin] if origin else [])
        elif line.startswith("    #   "):
            pins[current][2].append(line.removeprefix("    #   ").strip())
        elif line and not line.startswith("#"):
            pytest.fail(f"{path.name}: unexpected line {line!r}")
    return pins


def test_every_in_file_has_its_lock_and_make_lock_compiles_each_one():
    assert sorted(path.stem for path in REQUIREMENTS.glob("*.txt")) == LOCK_NAMES
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    lock_order = re.search(r"^LOCK_ORDER := (.+)$", makefile, re.MULTILINE).group(1).split()
    assert sorted(lock_order) == LOCK_NAMES
    for name in lock_order:
        _, constraints = read_in(REQUIREMENTS / f"{name}.in")
        for constraint in constraints:
            assert lock_order.index(constraint.stem) < lock_order.index(name), (name, constraint.name)


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_every_requirement_of_the_in_file_is_pinned_in_its_lock(name):
    requirements, _ = read_in(REQUIREMENTS / f"{name}.in")
    pins = read_lock(REQUIREMENTS / f"{name}.txt")
    assert requirements
    for requirement in requirements:
        package = canonicalize_name(requirement.name)
        assert package in pins, f"{name}.txt lacks {requirement}: run `make lock`"
        version = pins[package][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}.txt pins {package}=={version}, {name}.in asks for {requirement}: run `make lock`"
        )


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_every_pin_of_the_lock_is_hashed_and_needed_by_its_in_file(name):
    """A package dropped from the .in must leave the lock: each pin is wanted by
    the .in (through -r) or by another pin of the same lock, never by a
    constraint file alone."""
    pins = read_lock(REQUIREMENTS / f"{name}.txt")
    assert pins
    for package, (_version, hashes, _via) in pins.items():
        assert hashes, package
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", value) for value in hashes), package
    wanted_by = {
        package: {canonicalize_name(origin) for origin in via} for package, (_, _, via) in pins.items()
    }
    needed = {package for package, (_, _, via) in pins.items() if any(o.startswith("-r ") for o in via)}
    grown = True
    while grown:
        wanted = {package for package, origins in wanted_by.items() if origins & needed}
        grown = not wanted <= needed
        needed |= wanted
    assert set(pins) == needed, f"{name}.txt pins what {name}.in no longer needs: {set(pins) - needed}"


@pytest.mark.parametrize("name", LOCK_NAMES)
def test_a_lock_agrees_with_the_locks_it_is_constrained_by(name):
    _, constraints = read_in(REQUIREMENTS / f"{name}.in")
    pins = read_lock(REQUIREMENTS / f"{name}.txt")
    for constraint in constraints:
        for package, (version, _, _) in read_lock(constraint).items():
            if package in pins:
                assert pins[package][0] == version, f"{package}: {name}.txt and {constraint.name} differ"


def test_no_lock_names_an_index_or_a_local_path():
    """This machine's pip adds local index locations; a lock must not carry them."""
    for path in REQUIREMENTS.glob("*.txt"):
        text = path.read_text()
        assert not re.search(r"--(extra-)?index-url|--find-links|file:|/opt/", text), path.name


INSTALLERS = [
    PROJECT_ROOT / "Makefile",
    PROJECT_ROOT / "Dockerfile",
    PROJECT_ROOT / ".ci" / "run",
    *sorted((PROJECT_ROOT / "project" / "deploy").rglob("Dockerfile")),
]


def test_every_pip_install_reads_a_hashed_lock():
    install_lines = [
        (path.relative_to(PROJECT_ROOT), line.strip())
        for path in INSTALLERS
        for line in path.read_text().splitlines()
        if re.search(r"\bpip3? install\b", line)
    ]
    assert install_lines
    for where, line in install_lines:
        assert "--require-hashes" in line, f"{where}: {line}"
        assert re.search(r"-r \S*requirements/\w+\.txt", line), f"{where}: {line}"


def fake_wheel(directory, name, version):
    """A minimal valid wheel, so that pip's hash check runs offline."""
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": b"",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={urlsafe_b64encode(sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def test_the_makefiles_install_refuses_a_tampered_hash_and_installs_nothing(tmp_path):
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    install = re.search(r"\$\(PY\) -m pip install (.*) -r requirements/dev\.txt", makefile).group(1).split()
    wheel = fake_wheel(tmp_path, "broadsheet_probe", "1.0")
    good_hash = sha256(wheel.read_bytes()).hexdigest()
    target = tmp_path / "site"

    def install_with(digest):
        lock = tmp_path / "lock.txt"
        lock.write_text(f"broadsheet-probe==1.0 \\\n    --hash=sha256:{digest}\n")
        command = [sys.executable, "-m", "pip", "install", *install, "-r", str(lock)]
        command += ["--isolated", "--no-index", "--find-links", str(tmp_path), "--target", str(target)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    refused = install_with(good_hash.translate(str.maketrans("0123456789abcdef", "123456789abcdef0")))
    assert refused.returncode != 0
    assert "DO NOT MATCH THE HASHES" in refused.stderr
    assert not (target / "broadsheet_probe.py").exists()
    assert install_with(good_hash).returncode == 0
    assert (target / "broadsheet_probe.py").exists()
