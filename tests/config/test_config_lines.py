"""zoo.cfg lines, good and bad: each bad line gives file, line number and what is wrong."""

from __future__ import annotations

import pytest

from zabkeeper.config import Address, ConfigError, LearnerType, parse_server_config

BASE = "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zk\nclientPort=2181\n"
THREE = "server.1=h1:2888:3888\nserver.2=h2:2888:3888\nserver.3=h3:2888:3888\n"


def _parse(extra: str, myid: int | None = 1, servers: str = THREE) -> object:
    return parse_server_config(BASE + servers + extra, "zoo.cfg", myid=myid)


SERVER_LINES = [
    ("h:1:2", Address("h", 1), Address("h", 2), LearnerType.PARTICIPANT, None),
    ("h:1:2:observer", Address("h", 1), Address("h", 2), LearnerType.OBSERVER, None),
    ("h:1:2:PARTICIPANT", Address("h", 1), Address("h", 2), LearnerType.PARTICIPANT, None),
    ("h:1:2;2181", Address("h", 1), Address("h", 2), LearnerType.PARTICIPANT, Address("0.0.0.0", 2181)),
    ("h:1:2:observer;c:2181", Address("h", 1), Address("h", 2), LearnerType.OBSERVER, Address("c", 2181)),
    ("[::1]:1:2", Address("::1", 1), Address("::1", 2), LearnerType.PARTICIPANT, None),
    (
        "h:1:2;[fe80::1]:2181",
        Address("h", 1),
        Address("h", 2),
        LearnerType.PARTICIPANT,
        Address("fe80::1", 2181),
    ),
]


@pytest.mark.parametrize(("value", "quorum", "election", "role", "client"), SERVER_LINES)
def test_good_server_lines(
    value: str, quorum: Address, election: Address, role: LearnerType, client: Address | None
) -> None:
    config = parse_server_config(BASE + THREE + f"server.9={value}\n", "zoo.cfg", myid=1)
    server = config.ensemble.servers[9]
    assert (server.quorum_address, server.election_address, server.learner_type, server.client_address) == (
        quorum,
        election,
        role,
        client,
    )


BAD_LINES = [
    ("server.2=h:2888:x", "server.2: election port 'x' is not a number"),
    ("server.2=h:y:3888", "server.2: quorum port 'y' is not a number"),
    ("server.2=h:2888", "server.2: 'h:2888' does not have the form"),
    ("server.2=h:1:2:3:4", "server.2: 'h:1:2:3:4' does not have the form"),
    ("server.2=h:1:2:voter", "server.2: role 'voter' is not participant or observer"),
    ("server.2=h:70000:2", "server.2: quorum port 70000 is out of range 1..65535"),
    ("server.2=h:5:5", "server.2: quorum port and election port are both 5"),
    ("server.2=h:5:6;6", "server.2: client port 6 is also a quorum or election port"),
    ("server.2=h:1:2;a:b:c", "server.2: client part 'a:b:c' is not clientPort or clientAddress:clientPort"),
    ("server.2=h:1:2;x", "server.2: client port 'x' is not a number"),
    ("server.2=h:1:2;p;q", "server.2: 'h:1:2;p;q' does not have the form"),
    ("server.2=:1:2", "server.2: quorum host is empty"),
    ("server.2=[::1:1:2", "server.2: '[::1:1:2' starts with '[' but has no matching ']:'"),
    ("server.2=a:1:2|b:1:2", "server.2: multiple addresses separated by '|' are not supported"),
    ("server.x=h:1:2", "server.x: server id 'x' is not a number"),
    ("server.-1=h:1:2", "server.-1: server id -1 is out of range"),
    ("tickTime=abc", "tickTime: 'abc' is not a number"),
    ("tickTime=0", "tickTime: 0 is out of range 1.."),
    ("initLimit=-3", "initLimit: -3 is out of range 0.."),
    ("clientPort=99999", "clientPort: 99999 is out of range 0..65535"),
    ("standaloneEnabled=yes", "standaloneEnabled: 'yes' is not true or false"),
    ("electionAlg=1", "electionAlg: only 3 (fast leader election) is supported"),
    ("peerType=voter", "peerType: role 'voter' is not participant or observer"),
    ("4lw.commands.whitelist=ruok, rouk", "4lw.commands.whitelist: 'rouk' is not a four-letter word"),
    ("jute.maxbuffer=big", "jute.maxbuffer: 'big' is not a number"),
    ("ssl.clientAuth=maybe", "ssl.clientAuth: 'maybe' is not one of none, want, need"),
    ("ssl.keyStore.type=P12", "ssl.keyStore.type: 'P12' is not one of JKS, PEM, PKCS12, BCFKS"),
    ("zookeeper.DigestAuthenticationProvider.superDigest=nocolon", "expected user:base64"),
    ("metricsProvider.httpPort=0", "metricsProvider.httpPort: 0 is out of range 1..65535"),
    ("snapCount=1\nzookeeper.snapCount=2", "zookeeper.snapCount: snapCount is also set"),
    ("group.1=1:2:3\nweight.2=-1", "weight.2: weight -1 is negative"),
    ("group.1=1:2\ngroup.2=2:3", "group.2: server 2 is already in group.1"),
    ("group.1=1:2:3:7", "group.1: server 7 has no server.7 line"),
    ("group.1=1:1:2:3", "group.1: server 1 is listed twice"),
    ("group.1=", "group.1: lists no servers"),
    ("group.one=1:2:3", "group.one: group id 'one' is not a number"),
    ("groups=1:2:3", "groups: expected a numeric id after a dot"),
    ("group.1=1:2:3\nweight.9=1", "weight.9: server 9 has no server.9 line"),
    ("group.1=1:2:3\nweight.1=0\nweight.2=0\nweight.3=0", "no group has positive weight"),
    ("version=xyz", "version: 'xyz' is not a hexadecimal number"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_LINES)
def test_bad_lines_name_file_line_and_problem(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(extra + "\n")
    error = caught.value
    first_line = len((BASE + THREE).splitlines()) + 1
    assert error.source == "zoo.cfg"
    assert error.line is not None and error.line >= first_line, str(error)
    assert message in error.message
    assert str(error).startswith(f"zoo.cfg:{error.line}: ")


def test_the_issue_example_message() -> None:
    text = "dataDir=/d\nclientPort=1\ninitLimit=5\nsyncLimit=2\n\n\nserver.2=h:2888:x\n"
    with pytest.raises(ConfigError) as caught:
        parse_server_config(text, "zoo.cfg", myid=2)
    assert str(caught.value) == "zoo.cfg:7: server.2: election port 'x' is not a number"


def test_observer_in_group_is_refused() -> None:
    servers = THREE + "server.4=h4:2888:3888:observer\n"
    with pytest.raises(
        ConfigError, match=r"zoo.cfg:\d+: group.1: server 4 is an observer; observers never vote"
    ):
        _parse("group.1=1:2:3:4\n", servers=servers)


def test_participant_outside_every_group_is_refused_on_its_server_line() -> None:
    with pytest.raises(ConfigError) as caught:
        _parse("group.1=1:2\n")
    assert caught.value.line == len(BASE.splitlines()) + 3
    assert caught.value.message == "server.3: participant 3 is in no group.x line"
