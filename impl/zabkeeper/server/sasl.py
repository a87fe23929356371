"""SASL for client connections: the JAAS ``Server`` section and a DIGEST-MD5 server (RFC 2831).

ZooKeeper authenticates SASL clients through Java's SaslServer; with the ``DigestLoginModule``
the users and passwords come from the JAAS file named by ``java.security.auth.login.config``::

    Server {
        org.apache.zookeeper.server.auth.DigestLoginModule required
        user_super="adminsecret"
        user_bob="bobsecret";
    };

This module reads that section and runs the server side of DIGEST-MD5 with ``qop=auth``, the way
ZooKeeper's DIGEST-MD5 is configured: realm and server name ``zk-sasl-md5``, service
``zookeeper``. The exchange is three messages: an (empty) initial client token, our challenge,
the client's digest response, our ``rspauth``. On success the session gains the id
``sasl:<user>`` (or the authzid, if the client asked for one it may use).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

SASL_REALM = "zk-sasl-md5"
SASL_SERVICE = "zookeeper"
JAAS_SECTION_DEFAULT = "Server"  # ZooKeeper's zookeeper.sasl.serverconfig default
DIGEST_LOGIN_MODULE = "org.apache.zookeeper.server.auth.DigestLoginModule"
TOKEN_BYTES_MAX = 4096


class SaslFailure(Exception):
    """The client failed authentication; the server replies AuthFailed and closes."""


class JaasError(ValueError):
    """The JAAS file cannot be used; the message names the file."""


_SECTION = re.compile(r"(\w[\w.-]*)\s*\{(.*?)\}\s*;", re.S)
_OPTION = re.compile(r'(\w[\w.]*)\s*=\s*"((?:[^"\\]|\\.)*)"')


def read_jaas_users(path: Path, section: str = JAAS_SECTION_DEFAULT) -> dict[str, str]:
    """user -> password from the ``user_<name>="<password>"`` options of ``section``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise JaasError(f"{path}: cannot read JAAS file: {error.strerror}") from None
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    sections = {match.group(1): match.group(2) for match in _SECTION.finditer(text)}
    if section not in sections:
        raise JaasError(f"{path}: no '{section}' section (found: {', '.join(sorted(sections)) or 'none'})")
    body = sections[section]
    if DIGEST_LOGIN_MODULE not in body:
        raise JaasError(f"{path}: section '{section}' does not use {DIGEST_LOGIN_MODULE}")
    users = {
        name[len("user_") :]: value.replace('\\"', '"')
        for name, value in _OPTION.findall(body)
        if name.startswith("user_")
    }
    if not users:
        raise JaasError(f"{path}: section '{section}' defines no user_<name>=\"<password>\" entries")
    return users


def parse_directives(token: bytes) -> dict[str, str]:
    """RFC 2831 ``key=value`` / ``key="quoted value"`` pairs separated by commas."""
    text = token.decode("utf-8", errors="strict")
    result: dict[str, str] = {}
    index = 0
    while index < len(text):
        while index < len(text) and text[index] in " \t,":
            index += 1
        if index >= len(text):
            break
        eq = text.find("=", index)
        if eq < 0:
            raise SaslFailure(f"malformed directive near {text[index : index + 20]!r}")
        key = text[index:eq].strip().lower()
        index = eq + 1
        if index < len(text) and text[index] == '"':
            index += 1
            value = []
            while index < len(text) and text[index] != '"':
                if text[index] == "\\" and index + 1 < len(text):
                    index += 1
                value.append(text[index])
                index += 1
            index += 1
            result[key] = "".join(value)
        else:
            end = text.find(",", index)
            end = len(text) if end < 0 else end
            result[key] = text[index:end].strip()
            index = end
    return result


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def _hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@dataclass
class DigestMd5Server:
    """One DIGEST-MD5 exchange. ``evaluate(token)`` returns the next server token."""

    users: dict[str, str]
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    step: int = 0
    authorized_id: str | None = None

    @property
    def complete(self) -> bool:
        return self.authorized_id is not None

    def evaluate(self, token: bytes) -> bytes:
        if len(token) > TOKEN_BYTES_MAX:
            raise SaslFailure("SASL token too large")
        if self.complete:
            return b""
        self.step += 1
        if self.step == 1 and not token:
            return self.challenge()
        if self.step == 1:
            # A client that skipped the empty initial token answers our challenge right away: not
            # possible without our nonce, so this is a protocol error.
            raise SaslFailure("DIGEST-MD5 response sent before the challenge")
        return self._verify(parse_directives(token))

    def challenge(self) -> bytes:
        return (
            f'realm="{SASL_REALM}",nonce="{self.nonce}",qop="auth",charset=utf-8,algorithm=md5-sess'
        ).encode("ascii")

    def _verify(self, fields: dict[str, str]) -> bytes:
        for key in ("username", "nonce", "cnonce", "nc", "response", "digest-uri"):
            if key not in fields:
                raise SaslFailure(f"DIGEST-MD5 response lacks {key}")
        if fields["nonce"] != self.nonce:
            raise SaslFailure("DIGEST-MD5 nonce mismatch")
        if fields.get("qop", "auth") != "auth":
            raise SaslFailure(f"unsupported qop {fields.get('qop')!r}")
        username = fields["username"]
        password = self.users.get(username)
        if password is None:
            raise SaslFailure(f"unknown user {username!r}")
        realm = fields.get("realm", "")
        authzid = fields.get("authzid")
        a1 = _md5(f"{username}:{realm}:{password}".encode()) + f":{self.nonce}:{fields['cnonce']}".encode()
        if authzid:
            a1 += f":{authzid}".encode()
        ha1 = _hex(a1)
        tail = f"{self.nonce}:{fields['nc']}:{fields['cnonce']}:auth:"
        expected = _hex(f"{ha1}:{tail}{_hex(('AUTHENTICATE:' + fields['digest-uri']).encode())}".encode())
        if not secrets.compare_digest(expected, fields["response"].lower()):
            raise SaslFailure(f"wrong password for user {username!r}")
        if authzid and authzid != username:
            raise SaslFailure(f"user {username!r} may not act as {authzid!r}")
        self.authorized_id = username
        rspauth = _hex(f"{ha1}:{tail}{_hex((':' + fields['digest-uri']).encode())}".encode())
        return f"rspauth={rspauth}".encode("ascii")
