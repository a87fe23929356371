"""Whole-file behaviour: defaults, replication rules, the ensemble view and the conf text."""

from __future__ import annotations

import pytest

from zabkeeper.config import ConfigError, ConfRuntime, LearnerType, parse_server_config, render_conf
from zabkeeper.core.quorum import HierarchicalQuorum, MajorityQuorum

BASE = "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/var/lib/zk\nclientPort=2181\n"
THREE = "server.1=h1:2888:3888\nserver.2=h2:2888:3888\nserver.3=h3:2888:3888\n"


def test_defaults_follow_zookeeper() -> None:
    config = parse_server_config("dataDir=/d\nclientPort=2181\n", "zoo.cfg")
    assert not config.is_distributed
    assert config.tick_time == 3000
    assert (config.min_session_timeout, config.max_session_timeout) == (6000, 60000)
    assert config.data_log_dir == "/d"
    assert config.max_client_cnxns == 60
    assert config.snap_count == 100000
    assert config.autopurge_snap_retain_count == 3
    assert config.jute_max_buffer == 0xFFFFF
    assert config.four_letter_words == {"srvr"}
    assert config.standalone_enabled and not config.reconfig_enabled
    assert config.admin_enable_server and config.admin_server_port == 8080
    assert config.ssl.client_auth == "need"
    assert config.client_address is not None and str(config.client_address) == "0.0.0.0:2181"


def test_every_named_setting_is_typed() -> None:
    text = (
        "tickTime=1000\ndataDir=/d\ndataLogDir=/l\nclientPort=2181\nclientPortAddress=127.0.0.1\n"
        "secureClientPort=2281\nminSessionTimeout=1500\nmaxSessionTimeout=9000\nmaxClientCnxns=0\n"
        "snapCount=500\nautopurge.snapRetainCount=5\nautopurge.purgeInterval=24\n"
        "4lw.commands.whitelist=ruok,conf\njute.maxbuffer=0x100000\nreconfigEnabled=true\n"
        "zookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n"
        "zookeeper.extendedTypesEnabled=true\nreadonlymode.enabled=true\n"
        "java.security.auth.login.config=/etc/jaas.conf\nssl.keyStore.location=/k.jks\nssl.keyStore.type=jks\n"
        "ssl.keyStore.password=kp\nssl.trustStore.location=/t.p12\nssl.trustStore.type=PKCS12\n"
        "ssl.trustStore.password=tp\nssl.clientAuth=want\nmetricsProvider.httpPort=7000\n"
        "admin.serverPort=0\nadmin.enableServer=false\nsomething.unknown=kept\n"
    )
    config = parse_server_config(text, "zoo.cfg")
    assert (config.tick_time, config.data_log_dir, config.client_port) == (1000, "/l", 2181)
    assert str(config.client_address) == "127.0.0.1:2181"
    assert (config.secure_client_port, config.min_session_timeout, config.max_session_timeout) == (
        2281,
        1500,
        9000,
    )
    assert (config.max_client_cnxns, config.snap_count) == (0, 500)
    assert (config.autopurge_snap_retain_count, config.autopurge_purge_interval) == (5, 24)
    assert config.four_letter_words == {"ruok", "conf", "srvr", "isro"}
    assert config.jute_max_buffer == 0x100000
    assert config.reconfig_enabled and config.extended_types_enabled and config.read_only_mode_enabled
    assert config.super_digest == "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
    assert config.jaas_login_config == "/etc/jaas.conf"
    assert (config.ssl.key_store_type, config.ssl.trust_store_type, config.ssl.client_auth) == (
        "JKS",
        "PKCS12",
        "want",
    )
    assert (config.ssl.key_store_password, config.ssl.trust_store_location) == ("kp", "/t.p12")
    assert (config.metrics_http_port, config.admin_server_port, config.admin_enable_server) == (
        7000,
        0,
        False,
    )
    assert config.extra == {"something.unknown": "kept"}


def test_star_enables_every_four_letter_word() -> None:
    config = parse_server_config("dataDir=/d\nclientPort=1\n4lw.commands.whitelist=*\n", "zoo.cfg")
    assert config.four_letter_word_enabled("wchc") and config.four_letter_word_enabled("mntr")


def test_replicated_view_and_majority_verifier() -> None:
    config = parse_server_config(BASE + THREE + "server.4=h4:2888:3888:observer;2182\n", "zoo.cfg", myid=2)
    assert config.is_distributed and config.myid == 2
    assert config.ensemble.participants == {1, 2, 3} and config.ensemble.observers == {4}
    verifier = config.quorum_verifier()
    assert verifier == MajorityQuorum(frozenset({1, 2, 3}))
    assert verifier.contains_quorum({1, 2}) and not verifier.contains_quorum({1, 4})
    assert config.own_server is not None and str(config.own_server.election_address) == "h2:3888"


def test_hierarchical_verifier_with_default_and_zero_weights() -> None:
    servers = "".join(f"server.{sid}=h{sid}:2888:3888\n" for sid in range(1, 7))
    groups = "group.1=1:2:3\ngroup.2=4:5:6\nweight.3=0\n"
    config = parse_server_config(BASE + servers + groups, "zoo.cfg", myid=1)
    verifier = config.quorum_verifier()
    assert isinstance(verifier, HierarchicalQuorum)
    assert config.ensemble.weights == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1, 6: 1}
    assert verifier.contains_quorum({1, 2, 4, 5})
    assert not verifier.contains_quorum({1, 3, 4, 5})
    assert verifier.voters == {1, 2, 4, 5, 6}


@pytest.mark.parametrize(
    ("text", "myid", "message"),
    [
        (BASE + THREE, None, "zoo.cfg: /var/lib/zk/myid is missing (a replicated server needs it)"),
        (BASE + THREE, 7, "zoo.cfg: myid 7 has no server.7 line"),
        (BASE.replace("initLimit=10\n", "") + THREE, 1, "zoo.cfg: initLimit is not set"),
        (BASE.replace("syncLimit=5\n", "") + THREE, 1, "zoo.cfg: syncLimit is not set"),
        ("tickTime=2000\nclientPort=1\n", None, "zoo.cfg: dataDir is not set"),
        ("dataDir=/d\n", None, "zoo.cfg: neither clientPort nor secureClientPort is set"),
        (
            "dataDir=/d\nclientPortAddress=1.2.3.4\n",
            None,
            "zoo.cfg:2: clientPortAddress is set but clientPort is not",
        ),
        (
            "dataDir=/d\nclientPort=1\nminSessionTimeout=5000\nmaxSessionTimeout=4000\n",
            None,
            "minSessionTimeout 5000",
        ),
        (
            BASE + "server.1=h:1:2\nserver.2=h:3:4:observer\n",
            1,
            "zoo.cfg: observers {2} need at least two participants",
        ),
        (BASE + "server.1=h:1:2:observer\n", 1, "observers {1} need at least two participants"),
        (
            BASE + THREE + "zookeeper.extendedTypesEnabled=true\nserver.300=h:1:2\n",
            300,
            "myid 300 is above 254",
        ),
        (
            BASE + "server.1=h:1:2;2182\nserver.2=h:3:4\nserver.3=h:5:6\n",
            1,
            "zoo.cfg:5: clientPort 0.0.0.0:2181 differs",
        ),
        (
            BASE + THREE + "version=1\nserver.9=h:1:2:observer\ngroup.1=1:2:3:9\n",
            1,
            "server 9 is an observer",
        ),
    ],
)
def test_whole_file_errors(text: str, myid: int | None, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_server_config(text, "zoo.cfg", myid=myid)
    assert message in str(caught.value)


def test_one_participant_runs_standalone_unless_disabled() -> None:
    text = BASE + "server.1=h:1:2\n"
    standalone = parse_server_config(text, "zoo.cfg", myid=1)
    assert not standalone.is_distributed and standalone.own_server is None
    assert any("running standalone" in warning for warning in standalone.warnings)
    replicated = parse_server_config(text + "standaloneEnabled=false\n", "zoo.cfg", myid=1)
    assert replicated.is_distributed and replicated.quorum_verifier().contains_quorum({1})


def test_server_list_decides_the_role_with_a_warning() -> None:
    text = BASE + THREE + "server.4=h4:2888:3888:observer\npeerType=participant\n"
    config = parse_server_config(text, "zoo.cfg", myid=4)
    assert config.peer_type is LearnerType.OBSERVER
    assert any("differs from server.4" in warning for warning in config.warnings)


def test_dynamic_file_holds_the_ensemble_and_its_name_the_version() -> None:
    static = (
        "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\ndynamicConfigFile=zoo.cfg.dynamic.100000000\n"
    )
    dynamic = "server.1=h1:1:2;2181\nserver.2=h2:1:2;2181\nserver.3=h3:1:2;2181\n"
    config = parse_server_config(
        static, "zoo.cfg", dynamic_text=dynamic, dynamic_source="zoo.cfg.dynamic.100000000", myid=3
    )
    assert config.ensemble.version == 0x100000000
    assert config.ensemble.source == "zoo.cfg.dynamic.100000000"
    assert str(config.client_address) == "0.0.0.0:2181"


@pytest.mark.parametrize(
    ("static_extra", "dynamic", "message"),
    [
        ("server.1=h1:1:2\n", "server.2=h:1:2\n", "zoo.cfg:6: server.1: must be in the dynamic config file"),
        ("", "server.1=h1:1:2\ntickTime=5\n", "dyn.cfg:2: tickTime: not a server, group or weight line"),
        ("", "version=100000000\n", "dyn.cfg:1: version: belongs in the file name"),
        ("", "server.1=h1:1:x\n", "dyn.cfg:1: server.1: election port 'x' is not a number"),
    ],
)
def test_dynamic_file_errors(static_extra: str, dynamic: str, message: str) -> None:
    static = "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=/d\ndynamicConfigFile=dyn.cfg\n" + static_extra
    with pytest.raises(ConfigError) as caught:
        parse_server_config(static, "zoo.cfg", dynamic_text=dynamic, dynamic_source="dyn.cfg", myid=1)
    assert str(caught.value).startswith(message)


def test_conf_text_matches_zookeeper_standalone_layout() -> None:
    config = parse_server_config("tickTime=2000\ndataDir=/tmp/zk\nclientPort=53557\n", "zoo.cfg")
    runtime = ConfRuntime(
        client_port=53557,
        snap_dir="/tmp/zk/version-2",
        snap_dir_size=457,
        log_dir="/tmp/zk/version-2",
        log_dir_size=457,
    )
    # Captured from Apache ZooKeeper 3.8.0's `conf` for the same zoo.cfg.
    expected = (
        "clientPort=53557\nsecureClientPort=-1\ndataDir=/tmp/zk/version-2\ndataDirSize=457\n"
        "dataLogDir=/tmp/zk/version-2\ndataLogSize=457\ntickTime=2000\nmaxClientCnxns=60\n"
        "minSessionTimeout=4000\nmaxSessionTimeout=40000\nclientPortListenBacklog=-1\nserverId=0\n"
    )
    assert render_conf(config, runtime) == expected


def test_conf_text_replicated_adds_quorum_and_membership() -> None:
    config = parse_server_config(BASE + THREE + "server.4=h4:2888:3888:observer;2182\n", "zoo.cfg", myid=1)
    text = render_conf(config, ConfRuntime(client_port=2181))
    assert (
        "serverId=1\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\nquorumPort=2888\n" in text
    )
    assert text.endswith(
        "peerType=0\nmembership: \nserver.1=h1:2888:3888:participant\nserver.2=h2:2888:3888:participant\n"
        "server.3=h3:2888:3888:participant\nserver.4=h4:2888:3888:observer;0.0.0.0:2182\nversion=0"
    )
