"""Byte layouts: the jute client protocol, framing, txn records and the storage file formats.

Only this package knows how things look as bytes; it decodes into (and encodes from) the
dataclasses of ``zabkeeper.tree`` and never does I/O itself.
"""
