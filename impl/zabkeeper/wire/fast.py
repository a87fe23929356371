"""Hand-unrolled codecs for the hottest records, equal byte for byte to the table-driven ones.

A pipelined server spends much of its time in a handful of layouts: the getData, exists,
setData, delete and create requests, and the setData/create/delete txns it logs. These
functions do the same as ``codec.DECODERS``/``ENCODERS`` for those records with direct
``struct`` calls; ``tests/wire`` checks them against the table-driven codec on random and
malformed input, so the schema stays the single statement of each layout.
"""

from __future__ import annotations

import struct

from zabkeeper.tree import records as r
from zabkeeper.wire.jute import MalformedRecord

_INT = struct.Struct(">i")
_INT_INT = struct.Struct(">ii")
_TXN_HEADER = struct.Struct(">qiqqi")
_BOOL_INT = struct.Struct(">?i")


def _string(data: bytes, offset: int) -> tuple[str, int]:
    end = len(data)
    if offset + 4 > end:
        raise MalformedRecord(f"record needs 4 bytes at offset {offset}, {end - offset} left")
    (length,) = _INT.unpack_from(data, offset)
    offset += 4
    if length == -1:
        return "", offset
    if length < 0 or offset + length > end:
        raise MalformedRecord(f"bad string length {length} at offset {offset - 4}")
    try:
        return data[offset : offset + length].decode("utf-8"), offset + length
    except UnicodeDecodeError as error:
        raise MalformedRecord(f"string is not UTF-8: {error}") from None


def _buffer(data: bytes, offset: int) -> tuple[bytes | None, int]:
    end = len(data)
    if offset + 4 > end:
        raise MalformedRecord(f"record needs 4 bytes at offset {offset}, {end - offset} left")
    (length,) = _INT.unpack_from(data, offset)
    offset += 4
    if length == -1:
        return None, offset
    if length < 0 or offset + length > end:
        raise MalformedRecord(f"bad buffer length {length} at offset {offset - 4}")
    return data[offset : offset + length], offset + length


def _int(data: bytes, offset: int) -> int:
    if offset + 4 > len(data):
        raise MalformedRecord(f"record needs 4 bytes at offset {offset}, {len(data) - offset} left")
    value: int = _INT.unpack_from(data, offset)[0]
    return value


def _bool(data: bytes, offset: int) -> bool:
    if offset >= len(data):
        raise MalformedRecord(f"record needs 1 byte at offset {offset}, 0 left")
    return data[offset] != 0


def decode_path_watch(data: bytes, offset: int) -> tuple[str, bool]:
    path, offset = _string(data, offset)
    return path, _bool(data, offset)


def decode_get_data(data: bytes, offset: int) -> r.GetDataRequest:
    path, watch = decode_path_watch(data, offset)
    return r.GetDataRequest(path, watch)


def decode_exists(data: bytes, offset: int) -> r.ExistsRequest:
    path, watch = decode_path_watch(data, offset)
    return r.ExistsRequest(path, watch)


def decode_set_data(data: bytes, offset: int) -> r.SetDataRequest:
    path, offset = _string(data, offset)
    value, offset = _buffer(data, offset)
    return r.SetDataRequest(path, value, _int(data, offset))


def decode_delete(data: bytes, offset: int) -> r.DeleteRequest:
    path, offset = _string(data, offset)
    return r.DeleteRequest(path, _int(data, offset))


def _acl_list(data: bytes, offset: int) -> tuple[tuple[r.ACL, ...], int]:
    count = _int(data, offset)
    offset += 4
    if count == -1:
        return (), offset
    if count < 0 or count > len(data) - offset:
        raise MalformedRecord(f"bad vector count {count}")
    acl = []
    for _ in range(count):
        perms = _int(data, offset)
        scheme, offset = _string(data, offset + 4)
        identity, offset = _string(data, offset)
        acl.append(r.ACL(perms, _id(scheme, identity)))
    return tuple(acl), offset


_COMMON_IDS: dict[tuple[str, str], r.Id] = {("world", "anyone"): r.Id("world", "anyone")}


def _id(scheme: str, identity: str) -> r.Id:
    common = _COMMON_IDS.get((scheme, identity))
    return common if common is not None else r.Id(scheme, identity)


def decode_create(data: bytes, offset: int) -> r.CreateRequest:
    path, offset = _string(data, offset)
    value, offset = _buffer(data, offset)
    acl, offset = _acl_list(data, offset)
    return r.CreateRequest(path, value, acl, _int(data, offset))


def encode_txn_fast(header: r.TxnHeader, txn: r.TxnRecord | None) -> bytes | None:
    """The payload of the commonest txns, or None for the table-driven encoder to handle."""
    head = _TXN_HEADER.pack(header.client_id, header.cxid, header.zxid, header.time, header.type)
    if type(txn) is r.SetDataTxn:
        path = txn.path.encode("utf-8")
        data = txn.data
        if data is None:
            return b"".join((head, _INT.pack(len(path)), path, b"\xff\xff\xff\xff", _INT.pack(txn.version)))
        return b"".join(
            (head, _INT.pack(len(path)), path, _INT.pack(len(data)), data, _INT.pack(txn.version))
        )
    if type(txn) is r.DeleteTxn:
        path = txn.path.encode("utf-8")
        return b"".join((head, _INT.pack(len(path)), path))
    if type(txn) is r.CreateTxn:
        path = txn.path.encode("utf-8")
        data = txn.data
        parts = [head, _INT.pack(len(path)), path]
        parts += [b"\xff\xff\xff\xff"] if data is None else [_INT.pack(len(data)), data]
        parts.append(_INT.pack(len(txn.acl)))
        for entry in txn.acl:
            scheme = entry.id.scheme.encode("utf-8")
            identity = entry.id.id.encode("utf-8")
            parts += [_INT_INT.pack(entry.perms, len(scheme)), scheme, _INT.pack(len(identity)), identity]
        parts.append(_BOOL_INT.pack(txn.ephemeral, txn.parent_cversion))
        return b"".join(parts)
    return None
