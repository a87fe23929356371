"""Four-letter words over a real socket, in ZooKeeper's formats, honouring the whitelist."""

from __future__ import annotations

import pytest
import servers
from rawclient import RawClient, create

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def busy(zab_server):  # type: ignore[no-untyped-def]
    client = RawClient(zab_server.port)
    client.call(OpCode.create, create("/fl", b"x", flags=1))
    client.call(OpCode.getData, r.GetDataRequest("/fl", True))
    yield client
    client.close()


def word(server, text: str) -> str:  # type: ignore[no-untyped-def]
    return servers.four_letter(server.port, text)


def test_ruok_isro_srvr_stat(zab_server, busy) -> None:  # type: ignore[no-untyped-def]
    assert word(zab_server, "ruok") == "imok"
    assert word(zab_server, "isro") == "rw"
    srvr = word(zab_server, "srvr")
    assert srvr.startswith("Zookeeper version: 3.8.0-zabkeeper")
    fields = dict(line.split(": ", 1) for line in srvr.splitlines() if ": " in line)
    assert fields["Mode"] == "standalone" and int(fields["Zxid"], 16) >= 2
    stat = word(zab_server, "stat")
    assert "Clients:\n /127.0.0.1:" in stat and "Node count:" in stat


def test_mntr_envi_conf(zab_server, busy) -> None:  # type: ignore[no-untyped-def]
    metrics = dict(line.split("\t", 1) for line in word(zab_server, "mntr").splitlines())
    assert metrics["zk_server_state"] == "standalone"
    assert int(metrics["zk_ephemerals_count"]) >= 1 and int(metrics["zk_watch_count"]) >= 1
    envi = word(zab_server, "envi")
    assert envi.startswith("Environment:\n") and "\nzookeeper.version=3.8.0-" in envi
    conf = word(zab_server, "conf")
    assert f"clientPort={zab_server.port}\n" in conf and "tickTime=2000\n" in conf


def test_cons_and_watch_reports(zab_server, busy) -> None:  # type: ignore[no-untyped-def]
    session = f"0x{busy.session_id & (2**64 - 1):x}"
    assert f"sid={session}" in word(zab_server, "cons")
    assert "connections watching" in word(zab_server, "wchs")
    assert f"{session}\n\t/fl\n" in word(zab_server, "wchc")
    assert f"/fl\n\t{session}\n" in word(zab_server, "wchp")
    dump = word(zab_server, "dump")
    assert f"{session}:\n\t/fl" in dump


def test_whitelist_is_honoured(tmp_path, zab_factory) -> None:  # type: ignore[no-untyped-def]
    server = servers.start_zabkeeper(tmp_path, {"4lw.commands.whitelist": "ruok, conf"})
    zab_factory.append(server)
    assert word(server, "ruok") == "imok"
    assert word(server, "srvr").startswith("Zookeeper version:")  # always on, as in ZooKeeper
    assert word(server, "stat") == "stat is not executed because it is not in the whitelist.\n"
