"""ZooKeeper's numeric vocabulary: opcodes, error codes, create modes, watch and permission constants.

Every number here is fixed by the client protocol (ZooDefs, KeeperException.Code, CreateMode,
Watcher.Event, Watcher.WatcherType, EphemeralType of the 3.8/3.9 servers), so the members keep
ZooKeeper's own spelling: a reader who knows ``OpCode.getData`` or ``Code.NONODE`` from the Java
sources finds them here under the same names. Nothing in this module has behaviour beyond naming a
number and decoding a create flag.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class OpCode(IntEnum):
    """ZooDefs.OpCode: the request type in every RequestHeader and TxnHeader."""

    notification = 0
    create = 1
    delete = 2
    exists = 3
    getData = 4
    setData = 5
    getACL = 6
    setACL = 7
    getChildren = 8
    sync = 9
    ping = 11
    getChildren2 = 12
    check = 13
    multi = 14
    create2 = 15
    reconfig = 16
    checkWatches = 17
    removeWatches = 18
    createContainer = 19
    deleteContainer = 20
    createTTL = 21
    multiRead = 22
    auth = 100
    setWatches = 101
    sasl = 102
    getEphemerals = 103
    getAllChildrenNumber = 104
    setWatches2 = 105
    addWatch = 106
    whoAmI = 107
    createSession = -10
    closeSession = -11
    error = -1


class Code(IntEnum):
    """KeeperException.Code: the ``err`` of a ReplyHeader, a MultiHeader or an ErrorTxn."""

    OK = 0
    SYSTEMERROR = -1
    RUNTIMEINCONSISTENCY = -2
    DATAINCONSISTENCY = -3
    CONNECTIONLOSS = -4
    MARSHALLINGERROR = -5
    UNIMPLEMENTED = -6
    OPERATIONTIMEOUT = -7
    BADARGUMENTS = -8
    UNKNOWNSESSION = -12
    NEWCONFIGNOQUORUM = -13
    RECONFIGINPROGRESS = -14
    APIERROR = -100
    NONODE = -101
    NOAUTH = -102
    BADVERSION = -103
    NOCHILDRENFOREPHEMERALS = -108
    NODEEXISTS = -110
    NOTEMPTY = -111
    SESSIONEXPIRED = -112
    INVALIDCALLBACK = -113
    INVALIDACL = -114
    AUTHFAILED = -115
    SESSIONMOVED = -118
    NOTREADONLY = -119
    EPHEMERALONLOCALSESSION = -120
    NOWATCHER = -121
    REQUESTTIMEOUT = -122
    RECONFIGDISABLED = -123
    SESSIONCLOSEDREQUIRESASLAUTH = -124
    QUOTAEXCEEDED = -125
    THROTTLEDOP = -127


class CreateMode(IntEnum):
    """CreateMode: the ``flags`` of a CreateRequest / CreateTTLRequest."""

    PERSISTENT = 0
    EPHEMERAL = 1
    PERSISTENT_SEQUENTIAL = 2
    EPHEMERAL_SEQUENTIAL = 3
    CONTAINER = 4
    PERSISTENT_WITH_TTL = 5
    PERSISTENT_SEQUENTIAL_WITH_TTL = 6

    @property
    def is_ephemeral(self) -> bool:
        return self in (CreateMode.EPHEMERAL, CreateMode.EPHEMERAL_SEQUENTIAL)

    @property
    def is_sequential(self) -> bool:
        return self in (
            CreateMode.PERSISTENT_SEQUENTIAL,
            CreateMode.EPHEMERAL_SEQUENTIAL,
            CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL,
        )

    @property
    def is_container(self) -> bool:
        return self is CreateMode.CONTAINER

    @property
    def is_ttl(self) -> bool:
        return self in (CreateMode.PERSISTENT_WITH_TTL, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL)


class EventType(IntEnum):
    """Watcher.Event.EventType: the ``type`` of a WatcherEvent."""

    None_ = -1
    NodeCreated = 1
    NodeDeleted = 2
    NodeDataChanged = 3
    NodeChildrenChanged = 4
    DataWatchRemoved = 5
    ChildWatchRemoved = 6
    PersistentWatchRemoved = 7


class KeeperState(IntEnum):
    """Watcher.Event.KeeperState: the ``state`` of a WatcherEvent (servers only send SyncConnected)."""

    Unknown = -1
    Disconnected = 0
    NoSyncConnected = 1
    SyncConnected = 3
    AuthFailed = 4
    ConnectedReadOnly = 5
    SaslAuthenticated = 6
    Expired = -112
    Closed = 7


class WatcherType(IntEnum):
    """Watcher.WatcherType: the ``type`` of CheckWatchesRequest / RemoveWatchesRequest."""

    Children = 1
    Data = 2
    Any = 3
    Persistent = 4
    PersistentRecursive = 5


class AddWatchMode(IntEnum):
    """ZooDefs.AddWatchModes: the ``mode`` of an AddWatchRequest."""

    persistent = 0
    persistentRecursive = 1


class Perms(IntFlag):
    """ZooDefs.Perms: the permission bits of an ACL."""

    READ = 1
    WRITE = 2
    CREATE = 4
    DELETE = 8
    ADMIN = 16
    ALL = 31


# EphemeralType's encodings of a node's ephemeralOwner (a signed jute long). A container's owner is
# the most negative long; a TTL node's owner has 0xFF in its high byte and the ttl (ms) in the low
# 40 bits, so session ids (server id in the high byte) must keep server ids below 0xFF.
CONTAINER_EPHEMERAL_OWNER = -(1 << 63)
TTL_EPHEMERAL_OWNER_MASK = 0xFF << 56
TTL_MAX = (1 << 40) - 1
SERVER_ID_EXTENDED_MAX = 0xFE


def ttl_ephemeral_owner(ttl: int) -> int:
    """The signed ephemeralOwner ZooKeeper stores for a TTL node with ``ttl`` ms."""
    assert 0 < ttl <= TTL_MAX, ttl
    return (TTL_EPHEMERAL_OWNER_MASK | ttl) - (1 << 64)


def ttl_of_ephemeral_owner(ephemeral_owner: int) -> int | None:
    """The ttl (ms) encoded in ``ephemeral_owner``, or None if it does not denote a TTL node."""
    unsigned = ephemeral_owner & ((1 << 64) - 1)
    if ephemeral_owner == CONTAINER_EPHEMERAL_OWNER or unsigned >> 56 != 0xFF:
        return None
    # Bits 40..55 name the extended type; only type 0 (TTL) exists.
    if (unsigned >> 40) & 0xFFFF != 0:
        return None
    return unsigned & TTL_MAX
