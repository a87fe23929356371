"""Deterministic in-process ensembles: real ``Peer``s over a simulated network, disks and clock.

One seed decides everything (ensemble size, latencies, faults, workload), so any failure
reproduces exactly with ``zabkeeper sim --seed S``.
"""
