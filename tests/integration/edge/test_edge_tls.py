"""uvicorn run as docs/security-edge.md says (TLS, SERVER_CIPHERS): TLS 1.2+ clients get in and
see HSTS; a TLS 1.1 client is refused at the handshake."""

from __future__ import annotations

import datetime
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caremesh.kernel.crypto.tls import SERVER_CIPHERS, client_ssl_context

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")


def _self_signed(directory: Path) -> tuple[Path, Path]:
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
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
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


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = _self_signed(tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_TEST_")}
    command = [sys.executable, "-m", "uvicorn", "edge_shared_app:create", "--factory", "--app-dir", str(HERE)]
    tls = ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--ssl-ciphers", SERVER_CIPHERS]
    process = subprocess.Popen(
        [*command, *tls, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=(tmp_path / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield port, cert
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_modern_client_gets_in_and_sees_hsts(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    with httpx.Client(verify=client_ssl_context(cafile=cert)) as client:
        response = client.get(f"https://localhost:{port}/hello")
    assert response.status_code == 200
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_a_tls_1_1_client_is_refused(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    legacy = ssl.create_default_context(cafile=str(cert))
    legacy.set_ciphers("DEFAULT:@SECLEVEL=0")
    legacy.minimum_version = ssl.TLSVersion.TLSv1_1
    legacy.maximum_version = ssl.TLSVersion.TLSv1_1
    with (
        pytest.raises((ssl.SSLError, ConnectionResetError)),
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        legacy.wrap_socket(raw, server_hostname="localhost"),
    ):
        pass
