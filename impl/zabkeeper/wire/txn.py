"""Txn payloads: ``TxnHeader`` followed by the txn record its ``type`` names.

This is the unit the txn log stores (one payload per log record) and the unit a leader will
propose to followers: a txn is encoded once, logged, and applied from the same bytes on every
server. A MultiTxn holds its txns as jute ``Txn`` records (``int type; buffer data``) whose data
is the encoded inner txn record.
"""

from __future__ import annotations

from zabkeeper.tree import records as r
from zabkeeper.tree.constants import OpCode
from zabkeeper.wire.codec import DECODERS, ENCODERS, read_record
from zabkeeper.wire.fast import encode_txn_fast
from zabkeeper.wire.jute import JuteReader, JuteWriter, MalformedRecord

TXN_RECORDS: dict[int, type] = {
    OpCode.create: r.CreateTxn,
    OpCode.create2: r.CreateTxn,
    OpCode.createContainer: r.CreateContainerTxn,
    OpCode.createTTL: r.CreateTTLTxn,
    OpCode.delete: r.DeleteTxn,
    OpCode.deleteContainer: r.DeleteTxn,
    OpCode.setData: r.SetDataTxn,
    OpCode.setACL: r.SetACLTxn,
    OpCode.check: r.CheckVersionTxn,
    OpCode.createSession: r.CreateSessionTxn,
    OpCode.closeSession: r.CloseSessionTxn,
    OpCode.error: r.ErrorTxn,
}


def encode_txn(header: r.TxnHeader, txn: r.TxnRecord | None) -> bytes:
    encoded = encode_txn_fast(header, txn)
    if encoded is not None:
        return encoded
    writer = JuteWriter()
    ENCODERS[r.TxnHeader](writer, header)
    if isinstance(txn, r.MultiTxn):
        writer.write_int(len(txn.txns))
        for inner in txn.txns:
            writer.write_int(inner.type)
            body = JuteWriter()
            ENCODERS[type(inner.txn)](body, inner.txn)
            writer.write_buffer(bytes(body.out))
    elif txn is not None:
        ENCODERS[type(txn)](writer, txn)
    return bytes(writer.out)


def decode_txn(payload: bytes) -> tuple[r.TxnHeader, r.TxnRecord | None]:
    reader = JuteReader(payload)
    header = read_record(r.TxnHeader, reader)
    if header.type == OpCode.multi:
        return header, _read_multi_txn(reader)
    record_cls = TXN_RECORDS.get(header.type)
    if record_cls is None:
        raise MalformedRecord(f"unknown txn type {header.type}")
    if reader.remaining() == 0 and record_cls is r.CloseSessionTxn:
        return header, r.CloseSessionTxn(())  # closeSession written without a body (pre-3.6)
    txn: r.TxnRecord = DECODERS[record_cls](reader)
    reader.expect_end()
    return header, txn


def _read_multi_txn(reader: JuteReader) -> r.MultiTxn:
    count = reader.read_int()
    if count < 0 or count > reader.remaining():
        raise MalformedRecord(f"bad MultiTxn count {count}")
    txns = []
    for _ in range(count):
        type_ = reader.read_int()
        data = reader.read_bytes()
        record_cls = TXN_RECORDS.get(type_)
        if record_cls is None or type_ in (OpCode.createSession, OpCode.closeSession):
            raise MalformedRecord(f"txn type {type_} not allowed in a multi")
        inner = JuteReader(data)
        record = DECODERS[record_cls](inner)
        inner.expect_end()
        txns.append(r.Txn(OpCode(type_), record))
    reader.expect_end()
    return r.MultiTxn(tuple(txns))
