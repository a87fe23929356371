"""TLS on secureClientPort with PEM stores (client certificates give x509 ids), refusal of stores
we cannot read, and SASL DIGEST-MD5 logins from a JAAS file."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
import servers
from kazoo.client import KazooClient
from kazoo.exceptions import AuthFailedError
from rawclient import RawClient
from server_support import zabkeeper_settings

from zabkeeper.server.sasl import DigestMd5Server, SaslFailure, parse_directives
from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode

pytestmark = pytest.mark.network


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all PEM."""
    root = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=test-ca", cwd=root)  # fmt: skip
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "subjectAltName=DNS:client")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/O=zabkeeper/CN={name}", cwd=root)  # fmt: skip
        (root / f"{name}.ext").write_text(extra + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=root)  # fmt: skip
    # ZooKeeper's PEM key store: the private key and the certificate chain in one file.
    (root / "server.pem").write_text((root / "server.key").read_text() + (root / "server.crt").read_text())
    return root


def tls_settings(pki: Path, port: int, key_store_type: str = "PEM") -> dict[str, object]:
    return zabkeeper_settings(
        secureClientPort=port,
        **{
            "ssl.keyStore.location": pki / "server.pem",
            "ssl.keyStore.type": key_store_type,
            "ssl.trustStore.location": pki / "ca.pem",
            "ssl.trustStore.type": "PEM",
        },
    )


def test_tls_port_serves_kazoo_with_client_certificates(pki: Path, tmp_path: Path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    secure_port = servers.free_port()
    server = servers.start_zabkeeper(tmp_path, tls_settings(pki, secure_port))
    zab_factory.append(server)
    client = KazooClient(
        f"127.0.0.1:{secure_port}", use_ssl=True, ca=str(pki / "ca.pem"),
        certfile=str(pki / "client.crt"), keyfile=str(pki / "client.key"), verify_certs=True, timeout=10,
    )  # fmt: skip
    client.start(timeout=10)
    try:
        client.create("/over-tls", b"secret")
        assert client.get("/over-tls")[0] == b"secret"
        identities = (
            {(info.auth_scheme, info.user) for info in client.client_info() or []}
            if hasattr(client, "client_info")
            else set()
        )
        assert not identities or ("x509", "CN=client,O=zabkeeper") in identities
    finally:
        client.stop()
        client.close()
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / "client.crt"), str(pki / "client.key"))
    raw = RawClient(secure_port, tls=context)
    _, who = raw.call(OpCode.whoAmI, r.WhoAmIRequest())
    assert ("x509", "CN=client,O=zabkeeper") in {(info.auth_scheme, info.user) for info in who.client_info}
    raw.close()
    plain = KazooClient(f"127.0.0.1:{server.port}", timeout=10)
    plain.start(timeout=10)
    assert plain.get("/over-tls")[0] == b"secret"
    plain.stop()
    plain.close()


def test_unreadable_key_store_type_is_refused_at_start(pki: Path, tmp_path: Path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    server = servers.start_zabkeeper(tmp_path, tls_settings(pki, servers.free_port(), "JKS"), wait=False)
    zab_factory.append(server)
    assert server.process.wait(30) != 0
    log = server.log_path.read_text()
    assert "ssl.keyStore.type=JKS is not supported" in log and "PEM" in log


JAAS = """
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret";
};
"""


def test_sasl_digest_md5_login_with_kazoo(tmp_path: Path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    jaas = tmp_path / "jaas.conf"
    jaas.write_text(JAAS)
    server = servers.start_zabkeeper(
        tmp_path / "srv", zabkeeper_settings(**{"java.security.auth.login.config": jaas})
    )
    zab_factory.append(server)
    options = {"mechanism": "DIGEST-MD5", "username": "bob", "password": "bobsecret"}
    client = KazooClient(f"127.0.0.1:{server.port}", sasl_options=options, timeout=10)
    client.start(timeout=10)
    try:
        client.create("/sasl-ok", b"1")
        assert client.exists("/sasl-ok") is not None
    finally:
        client.stop()
        client.close()
    wrong = KazooClient(
        f"127.0.0.1:{server.port}", sasl_options=options | {"password": "nope"}, timeout=5,
        connection_retry={"max_tries": 0},
    )  # fmt: skip
    # kazoo finishes the session handshake first; the failed SASL exchange then fails every call.
    wrong.start(timeout=5)
    try:
        with pytest.raises(AuthFailedError):
            wrong.get("/sasl-ok")
    finally:
        wrong.stop()
        wrong.close()
    assert "SASL authentication failed: wrong password for user 'bob'" in server.log_path.read_text()


def test_digest_md5_exchange_rejects_bad_responses() -> None:
    server = DigestMd5Server({"bob": "pw"})
    challenge = parse_directives(server.evaluate(b""))
    assert challenge["realm"] == "zk-sasl-md5" and challenge["qop"] == "auth"
    with pytest.raises(SaslFailure, match="nonce"):
        server.evaluate(b'username="bob",nonce="forged",cnonce="c",nc=00000001,response="00",digest-uri="x"')
