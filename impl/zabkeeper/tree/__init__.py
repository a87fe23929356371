"""The ZooKeeper data model: znodes and Stat, ACLs, sessions, watches, txn prepare and apply.

Pure and deterministic: time, randomness and I/O come in as arguments, and the only state shared
between servers is what ``apply`` derives from the txn stream, so replaying the same txns on any
server yields the same tree. Imports the standard library only.
"""
