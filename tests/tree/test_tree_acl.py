"""ACL schemes, fix-up and permission checks (digest values cross-checked with ZooKeeper 3.8's
DigestAuthenticationProvider main)."""

from __future__ import annotations

import pytest

from zabkeeper.tree.acl import (
    CREATOR_ALL_ACL,
    OPEN_ACL_UNSAFE,
    READ_ACL_UNSAFE,
    SUPER,
    authenticate,
    check_acl,
    client_info,
    digest_id,
    fixup_acl,
    is_valid_id,
    masked_for_reader,
)
from zabkeeper.tree.constants import Code, Perms
from zabkeeper.tree.records import ACL, ClientInfo, Id

ALICE = Id("digest", "alice:uLxpHc/uhT86OXPoSjJTp1M8CJY=")
LOCAL = Id("ip", "127.0.0.1")


@pytest.mark.parametrize(
    ("user_password", "expected"),
    [
        ("alice:s3cret", "alice:uLxpHc/uhT86OXPoSjJTp1M8CJY="),
        ("user:", "user:kd7q5xGKLW+18xQTfO8iqRaFvsM="),
        (":pw", ":krPDEYdCl854cFNT6IXnoMv+VVA="),
        ("a:b:c", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0="),
    ],
)
def test_digest_matches_zookeeper(user_password: str, expected: str) -> None:
    assert digest_id(user_password) == expected


def test_authenticate_digest_ip_super_and_unknown() -> None:
    super_digest = digest_id("super:secret")
    assert authenticate("digest", b"alice:s3cret", "127.0.0.1", super_digest) == (ALICE,)
    assert authenticate("digest", b"super:secret", "127.0.0.1", super_digest) == (
        SUPER,
        Id("digest", super_digest),
    )
    assert authenticate("digest", b"super:secret", "127.0.0.1", None) == (Id("digest", super_digest),)
    assert authenticate("ip", b"whatever", "10.1.2.3", None) == (Id("ip", "10.1.2.3"),)
    assert authenticate("world", b"anyone", "127.0.0.1", None) == ()
    assert authenticate("sasl", b"x", "127.0.0.1", None) == ()


@pytest.mark.parametrize(
    ("scheme", "id_text", "valid"),
    [
        ("world", "anyone", True),
        ("world", "someone", False),
        ("digest", "alice:hash", True),
        ("digest", ":hash", True),
        ("digest", "alice:", False),
        ("digest", "alice", False),
        ("digest", "a:b:c", False),
        ("digest", "", False),
        ("ip", "10.0.0.1", True),
        ("ip", "10.0.0.0/8", True),
        ("ip", "10.0.0.0/0", True),
        ("ip", "10.0.0.0/32", True),
        ("ip", "10.0.0.0/33", False),
        ("ip", "10.0.0.0/-1", False),
        ("ip", "10.0.0.0/x", False),
        ("ip", "10.0.0", False),
        ("ip", "10.0.0.256", False),
        ("ip", "host.example", False),
        ("auth", "", False),
        ("sasl", "bob", True),
        # x509: what Java 17's X500Principal(String) accepts (each row checked with it)
        ("x509", "CN=bob", True),
        ("x509", "CN=client,OU=zk,O=Example\\, Inc.,C=US", True),
        ("x509", "cn = bob ; o=x", True),
        ("x509", "CN=a+UID=7", True),
        ("x509", "", True),
        ("x509", "2.5.4.3=#0c03616263", True),
        ("x509", "OID.2.5.4.3=bob", True),
        ("x509", 'CN="a, b"', True),
        ("x509", "CN=\\c3\\a9t\\c3\\a9", True),
        ("x509", "CN=a=b", True),
        ("x509", "2.40=x", True),
        ("x509", "bob", False),
        ("x509", "XX=bob", False),
        ("x509", "CN=a<b", False),
        ("x509", 'CN=a"b', False),
        ("x509", "CN=a\\", False),
        ("x509", "CN=\\zz", False),
        ("x509", "CN=#0c0361", False),
        ("x509", "1.40=x", False),
        ("x509", "CN=a,", False),
        ("x509", "CN=a++O=b", False),
        ("x509", 'CN="a" b', False),
        ("unknown", "x", False),
    ],
)
def test_valid_ids(scheme: str, id_text: str, valid: bool) -> None:
    assert is_valid_id(scheme, id_text) is valid


@pytest.mark.parametrize(
    ("acl", "auth", "expected"),
    [
        ((), (), Code.INVALIDACL),
        (OPEN_ACL_UNSAFE, (), OPEN_ACL_UNSAFE),
        (OPEN_ACL_UNSAFE + OPEN_ACL_UNSAFE, (), OPEN_ACL_UNSAFE),
        (CREATOR_ALL_ACL, (), Code.INVALIDACL),
        (CREATOR_ALL_ACL, (LOCAL,), Code.INVALIDACL),  # ip ids are not "authenticated"
        (CREATOR_ALL_ACL, (LOCAL, ALICE), (ACL(Perms.ALL, ALICE),)),
        (
            (ACL(Perms.READ, Id("auth", "ignored")),),
            (ALICE, Id("digest", "bob:x")),
            (ACL(Perms.READ, ALICE), ACL(Perms.READ, Id("digest", "bob:x"))),
        ),
        ((ACL(Perms.ALL, Id("world", "foo")),), (), Code.INVALIDACL),
        ((ACL(Perms.ALL, Id("digest", "nocolon")),), (), Code.INVALIDACL),
        ((ACL(Perms.ALL, Id("ip", "1.2.3.4/33")),), (), Code.INVALIDACL),
        ((ACL(Perms.ALL, Id("foo", "bar")),), (), Code.INVALIDACL),
        ((*READ_ACL_UNSAFE, ACL(Perms.ALL, Id("foo", "bar"))), (), Code.INVALIDACL),
        ((ACL(Perms.ALL, Id("ip", "10.0.0.0/8")),), (), (ACL(Perms.ALL, Id("ip", "10.0.0.0/8")),)),
        ((ACL(Perms.ALL, Id("x509", "CN=bob,O=zk")),), (), (ACL(Perms.ALL, Id("x509", "CN=bob,O=zk")),)),
        ((ACL(Perms.ALL, Id("x509", "bob")),), (), Code.INVALIDACL),
        (CREATOR_ALL_ACL, (LOCAL, Id("x509", "CN=bob")), (ACL(Perms.ALL, Id("x509", "CN=bob")),)),
    ],
)
def test_fixup_acl_table(acl: tuple[ACL, ...], auth: tuple[Id, ...], expected: object) -> None:
    assert fixup_acl(acl, auth) == expected


@pytest.mark.parametrize(
    ("acl", "perm", "auth", "allowed"),
    [
        ((), Perms.ADMIN, (), True),  # an empty ACL allows everything
        (OPEN_ACL_UNSAFE, Perms.DELETE, (), True),
        (READ_ACL_UNSAFE, Perms.READ, (), True),
        (READ_ACL_UNSAFE, Perms.WRITE, (), False),
        (READ_ACL_UNSAFE, Perms.WRITE, (SUPER,), True),
        ((ACL(Perms.ALL, ALICE),), Perms.READ, (LOCAL,), False),
        ((ACL(Perms.ALL, ALICE),), Perms.READ, (LOCAL, ALICE), True),
        ((ACL(Perms.READ, ALICE),), Perms.WRITE, (ALICE,), False),
        ((ACL(Perms.ADMIN, ALICE),), Perms.READ | Perms.ADMIN, (ALICE,), True),
        ((ACL(Perms.ALL, Id("ip", "127.0.0.0/8")),), Perms.READ, (LOCAL,), True),
        ((ACL(Perms.ALL, Id("ip", "127.0.0.1")),), Perms.READ, (LOCAL,), True),
        ((ACL(Perms.ALL, Id("ip", "10.0.0.0/8")),), Perms.READ, (LOCAL,), False),
        ((ACL(Perms.ALL, Id("ip", "0.0.0.0/0")),), Perms.READ, (LOCAL,), True),
        ((ACL(Perms.ALL, Id("ip", "127.0.0.2/31")),), Perms.READ, (LOCAL,), False),
        ((ACL(Perms.ALL, Id("ip", "127.0.0.0/31")),), Perms.READ, (LOCAL,), True),
        ((ACL(Perms.ALL, Id("digest", "127.0.0.1")),), Perms.READ, (LOCAL,), False),
        ((ACL(Perms.ALL, Id("x509", "CN=bob")),), Perms.READ, (LOCAL, Id("x509", "CN=bob")), True),
        ((ACL(Perms.ALL, Id("x509", "CN=bob")),), Perms.READ, (LOCAL, Id("x509", "CN=eve")), False),
    ],
)
def test_check_acl_table(acl: tuple[ACL, ...], perm: int, auth: tuple[Id, ...], allowed: bool) -> None:
    assert check_acl(acl, perm, auth) is allowed


def test_skip_acl_allows_everything() -> None:
    assert check_acl(READ_ACL_UNSAFE, Perms.WRITE, (), skip_acl=True)


def test_masking_hides_digest_secrets_only() -> None:
    acl = (ACL(Perms.ALL, ALICE), ACL(Perms.READ, LOCAL), ACL(Perms.READ, Id("digest", ":h")))
    assert masked_for_reader(acl) == (
        ACL(Perms.ALL, Id("digest", "alice:x")),
        ACL(Perms.READ, LOCAL),
        ACL(Perms.READ, Id("digest", ":x")),
    )


def test_who_am_i_shows_digest_user_names() -> None:
    assert client_info((LOCAL, ALICE, SUPER)) == (
        ClientInfo("ip", "127.0.0.1"),
        ClientInfo("digest", "alice"),
        ClientInfo("super", ""),
    )
