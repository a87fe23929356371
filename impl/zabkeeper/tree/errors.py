"""KeeperError: how prepare and the read path say "this request fails with that ZooKeeper code".

An exception (like ZooKeeper's KeeperException) because a failed check must abandon the request
from deep inside the checks; it never leaves the tree package: prepare turns it into an error
txn, reads into an error reply.
"""

from __future__ import annotations

from zabkeeper.tree.constants import Code


class KeeperError(Exception):
    """A request check failed with ZooKeeper error ``code``."""

    def __init__(self, code: Code) -> None:
        assert code != Code.OK, code
        super().__init__(code.name)
        self.code = code
