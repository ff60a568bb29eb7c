"""Certificates for the tests' own TLS servers, made with Debian's openssl.

certificate_authority(directory, name) writes a CA (name-ca.pem, name-ca.key);
issue(ca, directory, name, subject_alt_names) writes a certificate and key it
signed. Each file is the path a server or a client URL names.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

# ECDSA P-256: a key in milliseconds, where RSA takes a second on a busy machine.
NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class Issued:
    certificate: Path
    key: Path


def openssl(*arguments: str) -> None:
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


def certificate_authority(directory: Path, name: str) -> Issued:
    ca = Issued(directory / f"{name}-ca.pem", directory / f"{name}-ca.key")
    subject = ["-subj", f"/CN={name} test CA", "-days", "2"]
    openssl("req", "-x509", *NEW_KEY, "-keyout", str(ca.key), "-out", str(ca.certificate), *subject)
    return ca


def issue(ca: Issued, directory: Path, name: str, subject_alt_names: str) -> Issued:
    """A certificate for subject_alt_names ("IP:127.0.0.1,DNS:localhost"), signed by ca."""
    issued = Issued(directory / f"{name}.pem", directory / f"{name}.key")
    request = directory / f"{name}.csr"
    extensions = directory / f"{name}.ext"
    extensions.write_text(f"subjectAltName={subject_alt_names}\n")
    openssl("req", *NEW_KEY, "-keyout", str(issued.key), "-out", str(request), "-subj", f"/CN={name}")
    openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca.certificate), "-CAkey", str(ca.key),
        "-CAcreateserial", "-days", "2", "-out", str(issued.certificate), "-extfile", str(extensions),
    )  # fmt: skip
    issued.key.chmod(0o600)
    return issued
