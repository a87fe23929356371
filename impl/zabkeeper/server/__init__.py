"""asyncio shells around the pure layers: client listener, request pipeline, storage, 4lw, TLS, SASL.

Nothing here decides what a request means (that is ``zabkeeper.tree``) or how bytes are laid out
(that is ``zabkeeper.wire``); this package moves bytes between sockets, disk and those layers.
"""
