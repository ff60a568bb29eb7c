"""`make audit`: the locked Python and npm packages against a vulnerability database.

Python: pip-audit reads requirements/dev.txt (every lock is a part of it) with
--require-hashes and no resolver, and asks PyPI's per-release JSON API (OSV's
and the PyPA advisory database's data) or, failing that, api.osv.dev. npm:
`npm audit` of package-lock.json asks the registry's bulk advisory endpoint.

Each line says what was asked and what it found. Where no database answers
from this network, the line says so and that part is skipped (exit 0); a
known vulnerability fails the run (exit 1) and is listed.
"""

import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCK = PROJECT_ROOT / "requirements" / "dev.txt"
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"
TIMEOUT = 15


def answers(url, body=None):
    """None when the URL answers 200, else why not, in a few words."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT):  # noqa: S310 - fixed https URLs
            return None
    except urllib.error.HTTPError as refusal:
        return f"HTTP {refusal.code}"
    except OSError as error:
        return f"unreachable ({getattr(error, 'reason', error)})"


def locked_packages():
    return re.findall(r"^([A-Za-z0-9][\w.-]*)==(\S+)", LOCK.read_text(), re.MULTILINE)


def audit_python():
    packages = locked_packages()
    name, version = packages[0]
    sources = {
        "pypi": ("PyPI's per-release JSON API", answers(f"https://pypi.org/pypi/{name}/{version}/json")),
        "osv": (
            "api.osv.dev",
            answers(
                "https://api.osv.dev/v1/query",
                {"package": {"name": name, "ecosystem": "PyPI"}, "version": version},
            ),
        ),
    }
    where = f"Python ({LOCK.relative_to(PROJECT_ROOT)}, {len(packages)} packages)"
    usable = [service for service, (_, problem) in sources.items() if problem is None]
    if not usable:
        reasons = "; ".join(f"{label}: {problem}" for label, problem in sources.values())
        print(f"audit: {where}: skipped, no vulnerability database answers from this network ({reasons})")
        return 0
    service = usable[0]
    command = [str(PIP_AUDIT), "--requirement", str(LOCK), "--require-hashes", "--disable-pip", "--no-deps"]
    command += ["--vulnerability-service", service, "--progress-spinner", "off", "--format", "json"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(f"audit: {where}: pip-audit failed: {result.stderr.strip()[-300:]}")
        return 1
    found = [
        (dependency["name"], dependency["version"], vulnerability)
        for dependency in report["dependencies"]
        for vulnerability in dependency.get("vulns", [])
    ]
    unaudited = [dependency["name"] for dependency in report["dependencies"] if "skip_reason" in dependency]
    missing = f", {len(unaudited)} not audited ({', '.join(unaudited[:5])}...)" if unaudited else ""
    print(f"audit: {where}: {len(found)} known vulnerabilities{missing} ({sources[service][0]})")
    for package, version, vulnerability in found:
        fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
        print(f"  {package} {version}: {vulnerability['id']} (fixed in {fixed})")
    return 1 if found else 0


def audit_npm():
    where = "npm (package-lock.json)"
    if shutil.which("npm") is None:
        print(f"audit: {where}: skipped, npm is not installed")
        return 0
    command = ["npm", "audit", "--package-lock-only", "--json"]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = {"message": result.stderr.strip()[-200:]}
    if "metadata" not in report:
        # npm prints the endpoint's refusal ({"statusCode": 405, "message": ...}) instead of a report.
        reason = report.get("message") or json.dumps(report.get("error", "no report"))
        print(f"audit: {where}: skipped, the registry's advisory endpoint does not answer ({reason})")
        return 0
    counts = report["metadata"]["vulnerabilities"]
    total = sum(counts.values())
    print(f"audit: {where}: {total} known vulnerabilities ({json.dumps(counts)})")
    for name, advisory in sorted(report.get("vulnerabilities", {}).items()):
        print(f"  {name} {advisory.get('range', '')}: {advisory['severity']}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(max(audit_python(), audit_npm()))
