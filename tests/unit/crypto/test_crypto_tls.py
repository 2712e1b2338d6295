"""The TLS policy against real handshakes on 127.0.0.1 (a self-signed certificate made here)."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caremesh.kernel.crypto.tls import client_ssl_context, server_ssl_context

# The legacy peers below must name TLS 1.1, which Python rightly flags as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _serve_once(context: ssl.SSLContext) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept() -> None:
        try:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"hello")
        except (ssl.SSLError, OSError):
            pass  # the refused handshake is the point of some tests

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()
        thread.join(timeout=5)


def _connect(context: ssl.SSLContext, port: int) -> tuple[str | None, bytes]:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return tls.version(), tls.recv(5)


def _legacy_server(cert: Path, key: Path) -> ssl.SSLContext:
    # A server stuck on TLS 1.1; OpenSSL 3 only speaks it at security level 0.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1_1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


def test_the_client_context_talks_to_a_modern_server(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    for port in _serve_once(server_ssl_context(cert, key)):
        version, greeting = _connect(client_ssl_context(cafile=cert), port)
        assert version in ("TLSv1.2", "TLSv1.3") and greeting == b"hello"


def test_the_client_context_refuses_a_tls_1_1_server(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    # Control: the legacy server really does complete TLS 1.1 with a client that allows it...
    permissive = ssl.create_default_context(cafile=str(cert))
    permissive.set_ciphers("DEFAULT:@SECLEVEL=0")
    permissive.minimum_version = ssl.TLSVersion.TLSv1_1
    try:
        for port in _serve_once(_legacy_server(cert, key)):
            assert _connect(permissive, port)[0] == "TLSv1.1"
    except ssl.SSLError:
        pytest.skip("this OpenSSL build cannot speak TLS 1.1 at all, so there is nothing to refuse")
    # ...and our client context refuses it.
    for port in _serve_once(_legacy_server(cert, key)):
        with pytest.raises(ssl.SSLError):
            _connect(client_ssl_context(cafile=cert), port)


def test_the_server_context_refuses_a_tls_1_1_client(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    legacy_client = ssl.create_default_context(cafile=str(cert))
    legacy_client.set_ciphers("DEFAULT:@SECLEVEL=0")
    legacy_client.minimum_version = ssl.TLSVersion.TLSv1_1
    legacy_client.maximum_version = ssl.TLSVersion.TLSv1_1
    for port in _serve_once(server_ssl_context(cert, key)):
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            _connect(legacy_client, port)


def test_the_client_context_verifies_the_certificate(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    for port in _serve_once(server_ssl_context(cert, key)):
        with pytest.raises(ssl.SSLCertVerificationError):
            _connect(client_ssl_context(), port)  # system trust store: the self-signed cert fails
