"""TLS for ``secureClientPort``, configured with ZooKeeper's own ``ssl.*`` keys.

ZooKeeper reads a key store (this server's certificate and private key) and a trust store (the
CAs whose client certificates it accepts). Of ZooKeeper's store types this server reads PEM:
``ssl.keyStore.type=PEM`` (or a ``.pem`` file with no type, as ZooKeeper infers the type from the
extension) holding the private key and certificate chain in one file, and a PEM trust store of
CA certificates. JKS and PKCS12 stores are refused at start with a message that says how to
convert them, rather than failing later at the first handshake.

``ssl.clientAuth`` (need, want, none; default need, as in ZooKeeper) decides whether clients must
present a certificate. A verified client certificate authenticates the session as
``x509:<subject DN>`` (RFC 2253 spelling), as ZooKeeper's X509AuthenticationProvider does.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zabkeeper.config import SslConfig

SUPPORTED_STORE_TYPES = ("PEM",)


class TlsConfigError(ValueError):
    """The ssl.* settings cannot produce a working TLS context; the message says why."""


def _store_type(declared: str | None, location: str) -> str:
    if declared:
        return declared.upper()
    suffix = Path(location).suffix.lower()
    return {".pem": "PEM", ".jks": "JKS", ".p12": "PKCS12", ".pfx": "PKCS12", ".bcfks": "BCFKS"}.get(
        suffix, ""
    )


def _check_type(key: str, declared: str | None, location: str) -> None:
    store_type = _store_type(declared, location)
    if store_type not in SUPPORTED_STORE_TYPES:
        shown = store_type or "unknown (no type set and no .pem extension)"
        raise TlsConfigError(
            f"{key}.type={shown} is not supported: zabkeeper reads PEM stores only; "
            f"convert {location} to PEM (key and certificate chain in one file) and set {key}.type=PEM"
        )


def build_server_context(ssl_config: SslConfig) -> ssl.SSLContext:
    """An SSLContext for the secure client port from zoo.cfg's ``ssl.*`` keys."""
    key_store = ssl_config.key_store_location
    if not key_store:
        raise TlsConfigError("secureClientPort is set but ssl.keyStore.location is not")
    _check_type("ssl.keyStore", ssl_config.key_store_type, key_store)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(key_store, password=ssl_config.key_store_password or None)
    except (OSError, ssl.SSLError) as error:
        raise TlsConfigError(
            f"ssl.keyStore.location={key_store}: cannot load key and certificate: {error}"
        ) from None
    modes = {"need": ssl.CERT_REQUIRED, "want": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}
    client_auth = ssl_config.client_auth
    assert client_auth in modes, client_auth
    trust_store = ssl_config.trust_store_location
    if trust_store:
        _check_type("ssl.trustStore", ssl_config.trust_store_type, trust_store)
        try:
            context.load_verify_locations(cafile=trust_store)
        except (OSError, ssl.SSLError) as error:
            raise TlsConfigError(f"ssl.trustStore.location={trust_store}: cannot load CAs: {error}") from None
    elif client_auth != "none":
        raise TlsConfigError(f"ssl.clientAuth={client_auth} needs ssl.trustStore.location to verify clients")
    context.verify_mode = modes[client_auth]
    return context


_DN_SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "domainComponent": "DC",
    "userId": "UID",
}


def x509_subject_dn(peer_certificate: Mapping[str, Any] | None) -> str | None:
    """The RFC 2253 subject DN of a verified peer certificate (``getpeercert()`` form)."""
    if not peer_certificate:
        return None
    short = _DN_SHORT_NAMES
    parts = []
    for rdn in reversed(peer_certificate.get("subject", ())):
        parts.append("+".join(f"{short.get(key, key)}={_escape(value)}" for key, value in rdn))
    return ",".join(parts) or None


def _escape(value: str) -> str:
    escaped = "".join("\\" + char if char in ',+"\\<>;' else char for char in value)
    if escaped.startswith((" ", "#")):
        escaped = "\\" + escaped
    return escaped
