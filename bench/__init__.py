"""Benchmarks. Not part of the installed package; run from the repository root.

``python -m bench.transfers`` (``make bench``): end-to-end cross-border transfers
per second on the embedded SQLite store, next to the raw ``eventsourcing`` SQLite
append rate measured in the same run. See docs/performance.md.
"""
