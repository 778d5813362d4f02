"""TLS for the three kinds of link: clients to a node or the proxy, the proxy to its backends,
and replication between nodes; and a local certificate authority for ``pgha up --tls`` and
``pgha certs``.

Clients negotiate TLS in-band as PostgreSQL's do (SSLRequest, then the handshake on the same
socket: ``wire.connection`` answers 'S' when a certificate is configured). Replication links
are pgha's own protocol and are TLS from their first byte when the cluster has a CA: each end
proves itself with a certificate the CA signed (mutual TLS), on top of the cluster secret.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CA_FILES = ("ca.crt", "ca.key")
SSLMODES = ("disable", "prefer", "require", "verify-ca", "verify-full")


@dataclass(frozen=True, slots=True)
class ClientTls:
    """How to connect to a PostgreSQL-wire server, as libpq's ``sslmode`` says: ask for TLS,
    go on without it unless ``required``."""

    context: ssl.SSLContext
    required: bool

    @classmethod
    def from_mode(cls, mode: str, ca: Path | None = None, cert: Path | None = None,
                  key: Path | None = None) -> ClientTls | None:
        if mode not in SSLMODES:
            raise TlsConfigError(f"invalid sslmode {mode!r} (choose from "
                                 f"{', '.join(SSLMODES)})")
        if mode == "disable":
            return None
        verify = mode.startswith("verify")
        if verify and ca is None:
            raise TlsConfigError(f"sslmode {mode} needs a CA certificate to verify against")
        context = client_context(ca if verify else None, cert, key, verify=verify)
        if mode == "verify-ca":
            context.check_hostname = False  # the CA signed it; any name
        return cls(context, required=mode != "prefer")


class TlsConfigError(Exception):
    """A certificate, key or CA that cannot be used; the message names the file."""


def server_context(cert: Path, key: Path, ca: Path | None = None) -> ssl.SSLContext:
    """For accepting TLS: this side's certificate; with ``ca``, peers must present a
    certificate that CA signed (replication links)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(context, cert, key)
    if ca is not None:
        _load_ca(context, ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(ca: Path | None, cert: Path | None = None, key: Path | None = None,
                   verify: bool = True) -> ssl.SSLContext:
    """For connecting with TLS: verify the server against ``ca`` (and its name: the host
    connected to); ``verify=False`` encrypts without checking who answers (``sslmode=require``).
    ``cert``/``key``: this side's certificate, for peers that ask for one."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif ca is not None:
        _load_ca(context, ca)
    if cert is not None and key is not None:
        _load_chain(context, cert, key)
    return context


def _load_chain(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    for path in (cert, key):
        if not path.is_file():
            raise TlsConfigError(f"{path}: no such file")
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"{cert} / {key}: not a usable certificate and key ({exc})") \
            from None


def _load_ca(context: ssl.SSLContext, ca: Path) -> None:
    if not ca.is_file():
        raise TlsConfigError(f"{ca}: no such file")
    try:
        context.load_verify_locations(ca)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"{ca}: not a usable CA certificate ({exc})") from None


# -- a local certificate authority ------------------------------------------------------------


def make_certificates(directory: Path, name: str, hosts: Iterable[str]) -> tuple[Path, Path]:
    """``directory/NAME.crt`` and ``NAME.key``, valid for ``hosts`` (DNS names or IP
    addresses) and signed by the CA in ``directory`` (created on first use: ``ca.crt``, and
    ``ca.key``, mode 0600). Existing files are kept."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    ca_cert_path, ca_key_path = (directory / f for f in CA_FILES)
    now = dt.datetime.now(dt.UTC)

    def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))

    if not ca_cert_path.exists():
        ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pgha local CA")])
        ca_cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(
                       digital_signature=True, key_cert_sign=True, crl_sign=True,
                       content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, encipher_only=False,
                       decipher_only=False), critical=True)
                   .sign(ca_key, hashes.SHA256()))
        write_key(ca_key_path, ca_key)
        ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    signer = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    if not isinstance(signer, ec.EllipticCurvePrivateKey):
        raise TlsConfigError(f"{ca_key_path}: not an EC private key")
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(signer, hashes.SHA256()))
    write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
