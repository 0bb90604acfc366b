"""Audit: tamper evidence, point-in-time replay, reconciliation, provenance and
evidence packs (issue #6; docs/audit.md).

An auditor gets a copy of the stores, or read access to the database, and
needs to trust nothing the operator says:

* :mod:`~clearinghouse.audit.hashchain` — a SHA-256 chain over every
  application's log, in recording order (pure functions, no I/O);
* :mod:`~clearinghouse.audit.anchors` — the audit log that anchors those
  chains: checkpoint segments and published heads, in an application of its own;
* :mod:`~clearinghouse.audit.verify` — checkpoint, head and verify, as services;
* :mod:`~clearinghouse.audit.replay` — every projection as of a business date
  or a log position, as canonical bytes;
* :mod:`~clearinghouse.audit.reconcile` — the three phases of the Kyoto ITL
  reconciliation, registry logs against the central ledger, recorded in the
  clearinghouse (:mod:`~clearinghouse.audit.status`);
* :mod:`~clearinghouse.audit.trace` — the history of the block holding a serial;
* :mod:`~clearinghouse.audit.pack` — evidence packs and their offline check.

The services take a :class:`~clearinghouse.audit.logs.Logs` (made from a
``StoreConfig`` or an ``EmbeddedSystem``) and return pydantic models; the
command line (``clearinghouse/cli_audit.py``) only formats them.
"""
