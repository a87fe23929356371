"""zabkeeper: a ZooKeeper-compatible coordination server with a formally specified Zab core.

Layers (imports point down only): ``core`` (the sans-IO Zab state machine), ``tree`` (the
deterministic ZooKeeper data model), ``wire`` (byte layouts), ``sim`` (deterministic in-process
ensembles), ``server`` (asyncio shells for sockets and disk) and ``cli``.
"""

__version__ = "0.1.0"
