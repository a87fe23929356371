"""ACLs: authentication schemes, ACL fix-up on create/setACL, and permission checks.

Owns what ZooKeeper spreads over its AuthenticationProviders (``world``, ``auth``, ``digest``,
``ip``, ``sasl``, ``x509`` (ids checked by ``tree.x500``), plus the ``super`` id a superDigest
login adds), PrepRequestProcessor.fixupACL and ZooKeeperServer.checkACL. A session's identity is the tuple of Ids it has authenticated as (the
server adds ``ip:<address>`` at connect and one Id per successful AuthPacket). Everything here is
a pure function of those Ids and the ACL at hand.
"""

from __future__ import annotations

import base64
import hashlib
import re

from zabkeeper.tree.constants import Code, Perms
from zabkeeper.tree.records import ACL, ClientInfo, Id
from zabkeeper.tree.x500 import is_distinguished_name

# The permission bits as plain ints, for the checks on every request (IntFlag's "&" runs Python
# code); ACLs hold plain ints too, as the wire decodes them.
READ = int(Perms.READ)
WRITE = int(Perms.WRITE)
CREATE = int(Perms.CREATE)
DELETE = int(Perms.DELETE)
ADMIN = int(Perms.ADMIN)
ALL = int(Perms.ALL)

WORLD_ANYONE = Id("world", "anyone")
# The id a superDigest login adds next to its digest id; it skips every ACL check.
SUPER = Id("super", "")
OPEN_ACL_UNSAFE = (ACL(ALL, WORLD_ANYONE),)
CREATOR_ALL_ACL = (ACL(ALL, Id("auth", "")),)
READ_ACL_UNSAFE = (ACL(READ, WORLD_ANYONE),)

# Schemes whose ids count as "authenticated" when an ACL says ``auth:`` (ip does not).
_AUTHENTICATED_SCHEMES = frozenset({"digest", "sasl", "x509"})
_JAVA_INT = re.compile(r"[+-]?[0-9]+\Z")
# What getACL hides of a digest id (Java: ``replaceAll(":.*", ":x")``).
_DIGEST_SECRET = re.compile(r":.*")


def digest_id(user_password: str) -> str:
    """DigestAuthenticationProvider.generateDigest: ``user:BASE64(SHA1("user:password"))``."""
    user = user_password.split(":", 1)[0]
    digest = hashlib.sha1(user_password.encode("utf-8")).digest()
    return f"{user}:{base64.b64encode(digest).decode('ascii')}"


def authenticate(scheme: str, auth: bytes, client_address: str, super_digest: str | None) -> tuple[Id, ...]:
    """The Ids an AuthPacket adds to a session, or () for AuthFailed (unknown scheme).

    ``digest`` never fails: any "user:password" yields an id (and ``super`` when it matches the
    configured superDigest); ``ip`` adds the connection's address whatever the bytes say.
    """
    if scheme == "digest":
        generated = digest_id(auth.decode("utf-8", errors="replace"))
        if super_digest is not None and generated == super_digest:
            return (SUPER, Id("digest", generated))
        return (Id("digest", generated),)
    if scheme == "ip":
        return (Id("ip", client_address),)
    return ()


def client_info(auth_ids: tuple[Id, ...]) -> tuple[ClientInfo, ...]:
    """whoAmI's answer: one (scheme, user) per id; digest users are the part before ":"."""
    result = []
    for auth_id in auth_ids:
        user = auth_id.id.split(":", 1)[0] if auth_id.scheme == "digest" else auth_id.id
        result.append(ClientInfo(auth_id.scheme, user))
    return tuple(result)


def _java_split_colon(text: str) -> list[str]:
    """Java's ``String.split(":")``: trailing empty strings are dropped."""
    parts = text.split(":")
    while parts and parts[-1] == "":
        parts.pop()
    return parts or ([""] if text == "" else [])


def _ipv4_bytes(address: str) -> bytes | None:
    parts = address.split(".")
    if len(parts) != 4 or not all(_JAVA_INT.match(part) for part in parts):
        return None
    values = [int(part) for part in parts]
    if not all(0 <= value <= 255 for value in values):
        return None
    return bytes(values)


def _parse_ip_expression(expression: str) -> tuple[bytes, int] | None:
    """``addr[/bits]`` as IPAuthenticationProvider reads it (IPv4 only, as in 3.8)."""
    address, _, bits_text = expression.partition("/")
    raw = _ipv4_bytes(address)
    if raw is None:
        return None
    if "/" not in expression:
        return raw, 32
    if not _JAVA_INT.match(bits_text):
        return None
    bits = int(bits_text)
    if not 0 <= bits <= 32:
        return None
    return raw, bits


def is_valid_id(scheme: str, id_text: str) -> bool:
    """Whether an ACL entry's Id is well formed for its scheme (AuthenticationProvider.isValid)."""
    if scheme == "world":
        return id_text == "anyone"
    if scheme == "digest":
        return len(_java_split_colon(id_text)) == 2
    if scheme == "ip":
        return _parse_ip_expression(id_text) is not None
    if scheme == "x509":
        # X509AuthenticationProvider: whatever javax.security.auth.x500.X500Principal accepts.
        return is_distinguished_name(id_text)
    # SASLAuthenticationProvider accepts any principal name.
    return scheme == "sasl"


def _ip_matches(client_address: str, expression: str) -> bool:
    parsed = _parse_ip_expression(expression)
    client = _ipv4_bytes(client_address)
    if parsed is None or client is None:
        return False
    network, bits = parsed
    mask = ((1 << 32) - 1) ^ ((1 << (32 - bits)) - 1)
    return int.from_bytes(network, "big") & mask == int.from_bytes(client, "big") & mask


def fixup_acl(acl: tuple[ACL, ...], auth_ids: tuple[Id, ...]) -> tuple[ACL, ...] | Code:
    """PrepRequestProcessor.fixupACL: drop duplicates, expand ``auth`` to the session's
    authenticated ids, reject empty lists and bad ids with InvalidACL."""
    unique = acl if len(acl) == 1 else tuple(dict.fromkeys(acl))
    if not unique:
        return Code.INVALIDACL
    result: list[ACL] = []
    for entry in unique:
        scheme = entry.id.scheme
        if scheme == "world" and entry.id.id == "anyone":
            result.append(entry)
        elif scheme == "auth":
            expanded = [ACL(entry.perms, i) for i in auth_ids if i.scheme in _AUTHENTICATED_SCHEMES]
            if not expanded:
                return Code.INVALIDACL
            result.extend(expanded)
        elif is_valid_id(scheme, entry.id.id):
            result.append(entry)
        else:
            return Code.INVALIDACL
    return tuple(result)


def is_super(auth_ids: tuple[Id, ...]) -> bool:
    return any(auth_id.scheme == "super" for auth_id in auth_ids)


def check_acl(acl: tuple[ACL, ...], perm: int, auth_ids: tuple[Id, ...], skip_acl: bool = False) -> bool:
    """ZooKeeperServer.checkACL: may a session with ``auth_ids`` do ``perm`` on a node with
    ``acl``? An empty ACL allows everything; ``super`` skips the check; ``perm`` may name several
    bits, any one of which suffices (getACL asks for READ | ADMIN)."""
    perm = int(perm)
    assert perm != 0 and perm & ~ALL == 0, perm
    if skip_acl or not acl:
        return True
    for entry in acl:
        if int(entry.perms) & perm == 0:
            continue
        scheme, expression = entry.id.scheme, entry.id.id
        if scheme == "world" and expression == "anyone":
            return True
        for auth_id in auth_ids:
            if auth_id.scheme != scheme:
                continue
            if scheme == "ip":
                if _ip_matches(auth_id.id, expression):
                    return True
            elif scheme in _AUTHENTICATED_SCHEMES and auth_id.id == expression:
                return True
    # Checked last: a super session is rare, an ACL that lets everyone in is common.
    return is_super(auth_ids)


def masked_for_reader(acl: tuple[ACL, ...]) -> tuple[ACL, ...]:
    """getACL without ADMIN: digest ids are shown as ``user:x``."""
    return tuple(
        ACL(entry.perms, Id("digest", _DIGEST_SECRET.sub(":x", entry.id.id)))
        if entry.id.scheme == "digest"
        else entry
        for entry in acl
    )
