"""`transcendence certs`: a self-signed certificate for serving HTTPS on this machine."""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from transcendence_cli.context import CLIContext, CLIError, console

HOSTS = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")
# Apple platforms refuse server certificates valid for longer than 825 days.
MAX_DAYS = 825


def _certificate(days: int) -> tuple[bytes, bytes]:
    """PEM certificate and private key (EC P-256) for localhost, 127.0.0.1 and ::1."""
    # cryptography's X.509 layer (~20 ms) loads only for `certs` (CLI start-up speed; PyJWT
    # loads it anyway once a loaded module imports the accounts).
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization  # start-up, as above
    from cryptography.hazmat.primitives.asymmetric import ec  # start-up, as above
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # start-up, as above

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Transcendence localhost")])
    now = datetime.now(UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(h) for h in HOSTS]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # tolerate a clock slightly behind
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write_private(path: Path, data: bytes) -> None:
    """Create the key file readable by its owner only, never briefly world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


def register(cli: typer.Typer, ctx: CLIContext) -> None:
    @cli.command()
    def certs(
        directory: Annotated[
            Path, typer.Option("--dir", help="Where to write cert.pem and key.pem.")
        ] = Path("var/certs"),
        days: Annotated[
            int, typer.Option(min=1, max=MAX_DAYS, help="Validity in days.")
        ] = MAX_DAYS,
        force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    ):
        """Write a self-signed certificate for localhost, 127.0.0.1 and ::1."""
        certfile, keyfile = directory / "cert.pem", directory / "key.pem"
        existing = [str(p) for p in (certfile, keyfile) if p.exists()]
        if existing and not force:
            raise CLIError(f"{' and '.join(existing)} already exist; use --force to replace them")
        cert_pem, key_pem = _certificate(days)
        directory.mkdir(parents=True, exist_ok=True)
        certfile.write_bytes(cert_pem)
        _write_private(keyfile, key_pem)
        console.print(
            f"wrote {certfile} and {keyfile} (self-signed, {days} days; browsers will warn "
            "until you trust it)",
            highlight=False,
        )
        console.print("serve over HTTPS with:", highlight=False)
        console.print(
            f"transcendence serve --certfile {certfile} --keyfile {keyfile}",
            highlight=False,
            soft_wrap=True,
        )
