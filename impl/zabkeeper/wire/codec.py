"""Table-driven jute codec for the record dataclasses of ``zabkeeper.tree.records``.

``SCHEMAS`` lists, per record class, the jute type of each field in declaration order. From it
this module builds one decoder and one encoder per record, so the byte layout of a record is
stated once and both directions follow from it (round trips are property-tested). Records
whose layout is not a flat field list (multi, MultiTxn, ConnectRequest's optional trailing
byte) are handled in ``wire.client`` and ``wire.txn``.

Field types: ``int``, ``long``, ``bool``; ``ustring`` (null reads as ""), ``ustring?`` (null kept
as None), ``buffer?`` (bytes or None, for znode data), ``bytes`` (null reads as b""),
``vector<ustring>`` and ``vector<ACL>`` (null reads as ()), or a nested record class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

from zabkeeper.tree import records as r
from zabkeeper.wire.jute import JuteReader, JuteWriter

R = TypeVar("R")
FieldType = str | type

SCHEMAS: dict[type, tuple[FieldType, ...]] = {
    r.Id: ("ustring", "ustring"),
    r.ACL: ("int", r.Id),
    r.Stat: ("long", "long", "long", "long", "int", "int", "int", "long", "int", "int", "long"),
    r.StatPersisted: ("long", "long", "long", "long", "int", "int", "int", "long", "long"),
    r.ClientInfo: ("ustring", "ustring"),
    r.ConnectResponse: ("int", "int", "long", "bytes", "bool"),
    r.RequestHeader: ("int", "int"),
    r.ReplyHeader: ("int", "long", "int"),
    r.MultiHeader: ("int", "bool", "int"),
    r.AuthPacket: ("int", "ustring", "bytes"),
    r.SetWatches: ("long", "vector<ustring>", "vector<ustring>", "vector<ustring>"),
    r.SetWatches2: ("long",) + ("vector<ustring>",) * 5,
    r.GetSASLRequest: ("bytes",),
    r.SetSASLResponse: ("bytes",),
    r.WatcherEvent: ("int", "int", "ustring"),
    r.ErrorResponse: ("int",),
    r.CreateRequest: ("ustring", "buffer?", "vector<ACL>", "int"),
    r.CreateTTLRequest: ("ustring", "buffer?", "vector<ACL>", "int", "long"),
    r.DeleteRequest: ("ustring", "int"),
    r.DeleteContainerRequest: ("ustring",),
    r.ExistsRequest: ("ustring", "bool"),
    r.GetDataRequest: ("ustring", "bool"),
    r.SetDataRequest: ("ustring", "buffer?", "int"),
    r.GetACLRequest: ("ustring",),
    r.SetACLRequest: ("ustring", "vector<ACL>", "int"),
    r.GetChildrenRequest: ("ustring", "bool"),
    r.GetChildren2Request: ("ustring", "bool"),
    r.SyncRequest: ("ustring",),
    r.CheckVersionRequest: ("ustring", "int"),
    r.ReconfigRequest: ("ustring?", "ustring?", "ustring?", "long"),
    r.CheckWatchesRequest: ("ustring", "int"),
    r.RemoveWatchesRequest: ("ustring", "int"),
    r.GetEphemeralsRequest: ("ustring",),
    r.GetAllChildrenNumberRequest: ("ustring",),
    r.AddWatchRequest: ("ustring", "int"),
    r.WhoAmIRequest: (),
    r.CloseSessionRequest: (),
    r.CreateResponse: ("ustring",),
    r.Create2Response: ("ustring", r.Stat),
    r.ExistsResponse: (r.Stat,),
    r.GetDataResponse: ("buffer?", r.Stat),
    r.SetDataResponse: (r.Stat,),
    r.GetACLResponse: ("vector<ACL>", r.Stat),
    r.SetACLResponse: (r.Stat,),
    r.GetChildrenResponse: ("vector<ustring>",),
    r.GetChildren2Response: ("vector<ustring>", r.Stat),
    r.SyncResponse: ("ustring",),
    r.GetEphemeralsResponse: ("vector<ustring>",),
    r.GetAllChildrenNumberResponse: ("int",),
    r.WhoAmIResponse: ("vector<ClientInfo>",),
    r.TxnHeader: ("long", "int", "long", "long", "int"),
    r.CreateTxn: ("ustring", "buffer?", "vector<ACL>", "bool", "int"),
    r.CreateTTLTxn: ("ustring", "buffer?", "vector<ACL>", "int", "long"),
    r.CreateContainerTxn: ("ustring", "buffer?", "vector<ACL>", "int"),
    r.DeleteTxn: ("ustring",),
    r.SetDataTxn: ("ustring", "buffer?", "int"),
    r.CheckVersionTxn: ("ustring", "int"),
    r.SetACLTxn: ("ustring", "vector<ACL>", "int"),
    r.CreateSessionTxn: ("int",),
    r.CloseSessionTxn: ("vector<ustring>",),
    r.ErrorTxn: ("int",),
}

Reader = Callable[[JuteReader], Any]
Writer = Callable[[JuteWriter, Any], None]
DECODERS: dict[type, Callable[[JuteReader], Any]] = {}
ENCODERS: dict[type, Callable[[JuteWriter, Any], None]] = {}


def _tuple_of(read_item: Reader) -> Reader:
    return lambda reader: tuple(reader.read_list(read_item))


def _vector_of(write_item: Writer) -> Writer:
    return lambda writer, items: writer.write_vector(list(items), write_item)


def _field_reader(kind: FieldType) -> Reader:
    if isinstance(kind, type):
        return lambda reader: DECODERS[kind](reader)
    simple: dict[str, Reader] = {
        "int": JuteReader.read_int,
        "long": JuteReader.read_long,
        "bool": JuteReader.read_bool,
        "ustring": JuteReader.read_str,
        "ustring?": JuteReader.read_ustring,
        "buffer?": JuteReader.read_buffer,
        "bytes": JuteReader.read_bytes,
        "vector<ustring>": _tuple_of(JuteReader.read_str),
        "vector<ACL>": _tuple_of(lambda reader: DECODERS[r.ACL](reader)),
        "vector<ClientInfo>": _tuple_of(lambda reader: DECODERS[r.ClientInfo](reader)),
    }
    return simple[kind]


def _field_writer(kind: FieldType) -> Writer:
    if isinstance(kind, type):
        return lambda writer, value: ENCODERS[kind](writer, value)
    simple: dict[str, Writer] = {
        "int": JuteWriter.write_int,
        "long": JuteWriter.write_long,
        "bool": JuteWriter.write_bool,
        "ustring": JuteWriter.write_ustring,
        "ustring?": JuteWriter.write_ustring,
        "buffer?": JuteWriter.write_buffer,
        "bytes": JuteWriter.write_buffer,
        "vector<ustring>": _vector_of(JuteWriter.write_ustring),
        "vector<ACL>": _vector_of(lambda writer, acl: ENCODERS[r.ACL](writer, acl)),
        "vector<ClientInfo>": _vector_of(lambda writer, info: ENCODERS[r.ClientInfo](writer, info)),
    }
    return simple[kind]


def _build(cls: type, kinds: tuple[FieldType, ...]) -> None:
    names = [field.name for field in dataclasses.fields(cls)]
    assert len(names) == len(kinds), (cls, names, kinds)
    readers = [_field_reader(kind) for kind in kinds]
    writers = [_field_writer(kind) for kind in kinds]

    def decode(reader: JuteReader) -> Any:
        return cls(*[read(reader) for read in readers])

    if not names:

        def encode(writer: JuteWriter, record: Any) -> None:
            return None

    else:
        values: Callable[[Any], Any] = attrgetter(*names)
        single = len(names) == 1

        def encode(writer: JuteWriter, record: Any) -> None:
            fields = (values(record),) if single else values(record)
            for write, value in zip(writers, fields, strict=True):
                write(writer, value)

    DECODERS[cls] = decode
    ENCODERS[cls] = encode


for _cls, _kinds in SCHEMAS.items():
    _build(_cls, _kinds)


def decode_record(cls: type[R], data: bytes, offset: int = 0) -> R:
    """Decode exactly one ``cls`` from ``data[offset:]``; trailing bytes are an error."""
    reader = JuteReader(data, offset)
    record: R = DECODERS[cls](reader)
    reader.expect_end()
    return record


def read_record(cls: type[R], reader: JuteReader) -> R:
    record: R = DECODERS[cls](reader)
    return record


def write_record(writer: JuteWriter, record: object) -> None:
    ENCODERS[type(record)](writer, record)


def encode_record(record: object) -> bytes:
    writer = JuteWriter()
    ENCODERS[type(record)](writer, record)
    return bytes(writer.out)
