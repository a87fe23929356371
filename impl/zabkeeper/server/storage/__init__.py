"""Durable state of one server: txn log, snapshots, epoch files (see ``txn_snap_log`` for the contract)."""
