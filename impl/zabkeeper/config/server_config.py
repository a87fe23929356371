"""ServerConfig: everything one server reads from zoo.cfg (and its dynamic file), validated.

``parse_server_config`` is pure: it takes the texts of zoo.cfg and of the dynamic config file
(if zoo.cfg names one) and the content of ``myid``, and returns a frozen ``ServerConfig`` or
raises ``ConfigError``. ``zabkeeper.config.load`` does the file reading. The rules follow
ZooKeeper's QuorumPeerConfig (defaults, which combinations are refused), with the differences
called out where they are made: unknown 4lw names, observers in groups and duplicate spellings
of one setting are refused here, where ZooKeeper accepts them silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from zabkeeper.config.ensemble import Ensemble, is_ensemble_key, parse_ensemble
from zabkeeper.config.errors import ConfigError, ValueProblem
from zabkeeper.config.properties import Property, parse_properties
from zabkeeper.config.reader import INT_MAX, EntryReader
from zabkeeper.config.replication import check_replication
from zabkeeper.config.servers import PORT_MAX, Address, LearnerType, QuorumServer, parse_learner_type
from zabkeeper.core.quorum import QuorumVerifier

FAST_LEADER_ELECTION = 3
JUTE_MAX_BUFFER_DEFAULT = 0xFFFFF
SNAP_RETAIN_COUNT_MIN = 3
SNAP_COUNT_MIN = 2
FOUR_LETTER_WORDS = frozenset(
    [
        "conf",
        "cons",
        "crst",
        "dirs",
        "dump",
        "envi",
        "gtmk",
        "hash",
        "isro",
        "mntr",
        "ruok",
        "srst",
        "srvr",
        "stat",
        "stmk",
        "wchc",
        "wchp",
        "wchs",
    ]
)
KEY_STORE_TYPES = ("JKS", "PEM", "PKCS12", "BCFKS")
CLIENT_AUTH_MODES = ("none", "want", "need")
_HEX = re.compile(r"[0-9a-fA-F]{1,16}")


@dataclass(frozen=True)
class SslConfig:
    """The ``ssl.*`` settings for the secure client port (ZooKeeper's X509Util names)."""

    key_store_location: str | None = None
    key_store_type: str | None = None
    key_store_password: str | None = None
    trust_store_location: str | None = None
    trust_store_type: str | None = None
    trust_store_password: str | None = None
    client_auth: str = "need"


@dataclass(frozen=True)
class ServerConfig:
    """One server's configuration. Times are in milliseconds, limits in ticks, as in zoo.cfg."""

    source: str
    data_dir: str
    data_log_dir: str
    tick_time: int = 3000
    init_limit: int = 0
    sync_limit: int = 0
    client_port: int | None = None
    client_port_address: str | None = None
    secure_client_port: int | None = None
    secure_client_port_address: str | None = None
    min_session_timeout: int = 6000
    max_session_timeout: int = 60000
    max_client_cnxns: int = 60
    client_port_listen_backlog: int = -1
    snap_count: int = 100000
    autopurge_snap_retain_count: int = 3
    autopurge_purge_interval: int = 0
    four_letter_words: frozenset[str] = frozenset({"srvr"})
    jute_max_buffer: int = JUTE_MAX_BUFFER_DEFAULT
    standalone_enabled: bool = True
    reconfig_enabled: bool = False
    dynamic_config_file: str | None = None
    election_alg: int = FAST_LEADER_ELECTION
    peer_type: LearnerType = LearnerType.PARTICIPANT
    ensemble: Ensemble = field(default_factory=Ensemble)
    myid: int | None = None
    super_digest: str | None = None
    extended_types_enabled: bool = False
    read_only_mode_enabled: bool = False
    jaas_login_config: str | None = None
    ssl: SslConfig = field(default_factory=SslConfig)
    metrics_http_port: int | None = None
    admin_enable_server: bool = True
    admin_server_address: str = "0.0.0.0"
    admin_server_port: int = 8080
    extra: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.tick_time > 0, self.tick_time
        assert 0 < self.min_session_timeout <= self.max_session_timeout

    @property
    def is_distributed(self) -> bool:
        """ZooKeeper's isDistributed: replicated unless a lone participant may run standalone."""
        voters = len(self.ensemble.participants)
        return voters > 0 and (not self.standalone_enabled or voters > 1)

    @property
    def own_server(self) -> QuorumServer | None:
        """This server's own ``server.N`` entry (None when standalone)."""
        if not self.is_distributed or self.myid is None:
            return None
        return self.ensemble.servers[self.myid]

    @property
    def client_address(self) -> Address | None:
        """Where clients connect: the own server line's client part, else clientPort(Address)."""
        own = self.own_server
        if own is not None and own.client_address is not None:
            return own.client_address
        if self.client_port is None:
            return None
        return Address(self.client_port_address or "0.0.0.0", self.client_port)

    def quorum_verifier(self) -> QuorumVerifier:
        assert self.is_distributed, "a standalone server has no quorum"
        return self.ensemble.quorum_verifier()

    def four_letter_word_enabled(self, word: str) -> bool:
        return word in self.four_letter_words


def parse_server_config(
    text: str,
    source: str,
    *,
    dynamic_text: str | None = None,
    dynamic_source: str | None = None,
    myid: int | None = None,
    require_myid: bool = True,
) -> ServerConfig:
    """Parse and validate zoo.cfg ``text`` (called ``source`` in error messages).

    ``dynamic_text`` is the content of the file zoo.cfg's ``dynamicConfigFile`` names (required
    when it names one); ``myid`` is the number in ``dataDir/myid`` (required when replicated,
    unless ``require_myid`` is False: reading a zoo.cfg for another machine).
    """
    entries = parse_properties(text, source)
    reader = EntryReader([entry for entry in entries if not is_ensemble_key(entry.key)], source)
    dynamic_config_file = reader.text("dynamicConfigFile")
    if dynamic_config_file is None:
        ensemble = parse_ensemble([entry for entry in entries if is_ensemble_key(entry.key)], source)
    else:
        ensemble = _dynamic_ensemble(entries, source, dynamic_config_file, dynamic_text, dynamic_source)
    warnings: list[str] = []
    config = _read_settings(reader, ensemble, myid, warnings)
    config = check_replication(config, reader, warnings, require_myid)
    return replace(config, extra=reader.unread(), warnings=tuple(warnings))


def version_from_filename(path: str) -> int | None:
    """ZooKeeper's ``zoo.cfg.dynamic.<hex version>`` naming; None when there is no hex suffix."""
    suffix = path.rsplit(".", 1)[-1] if "." in path else ""
    if not _HEX.fullmatch(suffix):
        return None
    return int(suffix, 16)


def _dynamic_ensemble(
    entries: tuple[Property, ...],
    source: str,
    path: str,
    dynamic_text: str | None,
    dynamic_source: str | None,
) -> Ensemble:
    for entry in entries:
        if is_ensemble_key(entry.key):
            raise ConfigError(source, entry.line, f"{entry.key}: must be in the dynamic config file {path}")
    if dynamic_text is None:
        raise ConfigError(source, None, f"dynamicConfigFile {path} was not read")
    dynamic_source = dynamic_source or path
    dynamic_entries = parse_properties(dynamic_text, dynamic_source)
    for entry in dynamic_entries:
        if entry.key == "version":
            raise ConfigError(dynamic_source, entry.line, "version: belongs in the file name, not inside")
        if not is_ensemble_key(entry.key):
            raise ConfigError(dynamic_source, entry.line, f"{entry.key}: not a server, group or weight line")
    return parse_ensemble(dynamic_entries, dynamic_source, version=version_from_filename(dynamic_source))


def _read_settings(
    reader: EntryReader, ensemble: Ensemble, myid: int | None, warnings: list[str]
) -> ServerConfig:
    data_dir = reader.text("dataDir")
    if not data_dir:
        raise reader.error_at(("dataDir",), "dataDir is not set")
    tick_time = reader.integer("tickTime", default=3000, low=1)
    min_session_timeout, max_session_timeout = _session_timeouts(reader, tick_time)
    client_port, client_port_address = _client_port(reader, "clientPort", "clientPortAddress")
    secure_client_port, secure_client_port_address = _client_port(
        reader, "secureClientPort", "secureClientPortAddress"
    )
    read_only_mode_enabled = reader.boolean("readonlymode.enabled", default=False)
    return ServerConfig(
        source=reader.source,
        data_dir=data_dir,
        data_log_dir=reader.text("dataLogDir") or data_dir,
        tick_time=tick_time,
        init_limit=reader.integer("initLimit", default=0, low=0),
        sync_limit=reader.integer("syncLimit", default=0, low=0),
        client_port=client_port,
        client_port_address=client_port_address,
        secure_client_port=secure_client_port,
        secure_client_port_address=secure_client_port_address,
        min_session_timeout=min_session_timeout,
        max_session_timeout=max_session_timeout,
        max_client_cnxns=reader.integer("maxClientCnxns", default=60, low=0),
        client_port_listen_backlog=reader.integer("clientPortListenBacklog", default=-1, low=-1),
        snap_count=_at_least(reader, ("snapCount", "zookeeper.snapCount"), 100000, SNAP_COUNT_MIN, warnings),
        autopurge_snap_retain_count=_at_least(
            reader, ("autopurge.snapRetainCount",), SNAP_RETAIN_COUNT_MIN, SNAP_RETAIN_COUNT_MIN, warnings
        ),
        autopurge_purge_interval=reader.integer("autopurge.purgeInterval", default=0, low=0),
        four_letter_words=_four_letter_words(reader, read_only_mode_enabled),
        jute_max_buffer=reader.decoded_integer(
            "jute.maxbuffer", default=JUTE_MAX_BUFFER_DEFAULT, low=1, high=INT_MAX
        ),
        standalone_enabled=reader.boolean("standaloneEnabled", default=True),
        reconfig_enabled=reader.boolean("reconfigEnabled", default=False),
        dynamic_config_file=reader.text("dynamicConfigFile"),
        election_alg=_election_alg(reader),
        peer_type=_peer_type(reader),
        ensemble=ensemble,
        myid=myid,
        super_digest=_super_digest(reader),
        extended_types_enabled=reader.boolean(
            "zookeeper.extendedTypesEnabled", "extendedTypesEnabled", default=False
        ),
        read_only_mode_enabled=read_only_mode_enabled,
        jaas_login_config=reader.text("java.security.auth.login.config"),
        ssl=_ssl(reader),
        metrics_http_port=reader.optional_integer("metricsProvider.httpPort", low=1, high=PORT_MAX),
        admin_enable_server=reader.boolean(
            "admin.enableServer", "zookeeper.admin.enableServer", default=True
        ),
        admin_server_address=reader.text("admin.serverAddress", "zookeeper.admin.serverAddress") or "0.0.0.0",
        admin_server_port=reader.integer(
            "admin.serverPort", "zookeeper.admin.serverPort", default=8080, low=0, high=PORT_MAX
        ),
    )


def _session_timeouts(reader: EntryReader, tick_time: int) -> tuple[int, int]:
    """minSessionTimeout/maxSessionTimeout, defaulting to 2 and 20 ticks (-1 also means default)."""
    low = reader.optional_integer("minSessionTimeout", low=-1)
    high = reader.optional_integer("maxSessionTimeout", low=-1)
    low = 2 * tick_time if low in (None, -1) else low
    high = 20 * tick_time if high in (None, -1) else high
    if low <= 0 or low > high:
        raise reader.error_at(
            ("minSessionTimeout", "maxSessionTimeout"),
            f"minSessionTimeout {low} must be positive and not above maxSessionTimeout {high}",
        )
    return low, high


def _client_port(reader: EntryReader, port_key: str, address_key: str) -> tuple[int | None, str | None]:
    """A client port (0 or absent means "not set", as in ZooKeeper) and its optional address."""
    port = reader.optional_integer(port_key, low=0, high=PORT_MAX) or None
    address = reader.text(address_key)
    if address is not None and port is None:
        raise reader.error_at((address_key,), f"{address_key} is set but {port_key} is not")
    return port, address


def _at_least(
    reader: EntryReader, names: tuple[str, ...], default: int, floor: int, warnings: list[str]
) -> int:
    """A count ZooKeeper raises to ``floor`` (with a warning) rather than refusing."""
    value = reader.integer(*names, default=default, low=0)
    if value < floor:
        warnings.append(f"{names[0]} {value} is below {floor}; using {floor}")
        return floor
    return value


def _election_alg(reader: EntryReader) -> int:
    election_alg = reader.integer("electionAlg", default=FAST_LEADER_ELECTION)
    if election_alg != FAST_LEADER_ELECTION:
        raise reader.error_at(
            ("electionAlg",), f"electionAlg: only {FAST_LEADER_ELECTION} (fast leader election) is supported"
        )
    return election_alg


def _peer_type(reader: EntryReader) -> LearnerType:
    entry = reader.entry("peerType")
    if entry is None:
        return LearnerType.PARTICIPANT
    try:
        return parse_learner_type(entry.value)
    except ValueProblem as problem:
        raise reader.error(entry, str(problem)) from None


def _four_letter_words(reader: EntryReader, read_only_mode_enabled: bool) -> frozenset[str]:
    """The enabled 4lw: the whitelist (``*`` = all), plus srvr always and isro in read-only mode."""
    words = {"srvr"} | ({"isro"} if read_only_mode_enabled else set())
    entry = reader.entry("4lw.commands.whitelist", "zookeeper.4lw.commands.whitelist")
    if entry is None:
        return frozenset(words)
    for raw in entry.value.split(","):
        word = raw.strip()
        if word == "*":
            return FOUR_LETTER_WORDS
        if word and word not in FOUR_LETTER_WORDS:
            known = " ".join(sorted(FOUR_LETTER_WORDS))
            raise reader.error(entry, f"'{word}' is not a four-letter word (known: {known})")
        if word:
            words.add(word)
    return frozenset(words)


def _super_digest(reader: EntryReader) -> str | None:
    entry = reader.entry(
        "zookeeper.DigestAuthenticationProvider.superDigest", "DigestAuthenticationProvider.superDigest"
    )
    if entry is None:
        return None
    user, colon, digest = entry.value.partition(":")
    if not (user and colon and digest):
        raise reader.error(entry, "expected user:base64(sha1(user:password))")
    return entry.value


def _ssl(reader: EntryReader) -> SslConfig:
    def store_type(name: str) -> str | None:
        if reader.text(name) is None:
            return None
        return reader.choice(name, default="", choices=KEY_STORE_TYPES)

    return SslConfig(
        key_store_location=reader.text("ssl.keyStore.location"),
        key_store_type=store_type("ssl.keyStore.type"),
        key_store_password=reader.text("ssl.keyStore.password"),
        trust_store_location=reader.text("ssl.trustStore.location"),
        trust_store_type=store_type("ssl.trustStore.type"),
        trust_store_password=reader.text("ssl.trustStore.password"),
        client_auth=reader.choice("ssl.clientAuth", default="need", choices=CLIENT_AUTH_MODES),
    )
