"""Tamper evidence: the hash chain, checkpoints and heads, against stores edited by hand.

Every test starts from the same demo store (five logs), anchors it, then edits
a SQLite file directly — as an operator with access to the files could — and
checks that ``audit verify`` names the kind of change and its position.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from clearinghouse import cli, demo
from clearinghouse.audit import verify
from clearinghouse.audit.hashchain import ChainCheck, SegmentBuilder, genesis
from clearinghouse.audit.logs import Logs
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from tests.coverage import covers


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("audit-demo") / "store"
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=where)) as system:
        demo.run_demo(system)
    return where


@pytest.fixture
def store(demo_store: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo store, anchored in segments of 50 events."""
    where = tmp_path / "store"
    shutil.copytree(demo_store, where)
    with open_logs(where) as logs:
        verify.checkpoint(logs, segment_size=50)
    return where


@contextmanager
def open_logs(where: Path) -> Iterator[Logs]:
    with Logs.of(StoreConfig(kind="sqlite", path=where)) as logs:
        yield logs


def edit(where: Path, app: str, *statements: str) -> None:
    """Edit one application's SQLite file directly, bypassing everything."""
    with sqlite3.connect(where / f"{app.lower()}.sqlite") as conn:
        for statement in statements:
            conn.execute(statement)


def check(where: Path) -> verify.Verification:
    with open_logs(where) as logs:
        return verify.verify(logs)


def log_of(result: verify.Verification, app: str) -> verify.LogVerification:
    return next(log for log in result.logs if log.application == app)


def run_cli(*argv: str) -> tuple[int, str]:
    out = StringIO()
    with redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def test_an_untouched_store_verifies_and_a_second_checkpoint_changes_nothing(store: Path) -> None:
    result = check(store)
    assert result.intact and result.anchored
    assert [log.status for log in result.logs] == ["intact"] * 5
    assert result.logs[0].application == "CLEARINGHOUSE"
    assert all(log.unanchored == 0 and log.anchored_events == log.events for log in result.logs)
    with open_logs(store) as logs:
        head = verify.current_head(logs)
        again = verify.checkpoint(logs, segment_size=50)
    assert head is not None and again.head == head
    assert all(c.new_events == 0 for c in again.logs)
    code, out = run_cli("audit", "verify", "--store", str(store))
    assert code == 0 and "Result: intact" in out


@covers("AUD-010")
def test_a_modified_event_is_found_at_its_position(store: Path) -> None:
    # position 31 of the clearinghouse's log is China's first corresponding adjustment
    edit(
        store,
        "CLEARINGHOUSE",
        "UPDATE stored_events SET state = CAST(replace(state, '\"CN\"', '\"KR\"') AS BLOB) "
        "WHERE rowid = 31",
    )
    result = check(store)
    assert not result.intact
    ch = log_of(result, "CLEARINGHOUSE")
    assert ch.status == "tampered" and ch.first_bad_position == 31
    assert ch.counts == {"AUD-010": 1}
    assert "AdjustmentRecorded" in ch.findings[0].message
    assert [log.status for log in result.logs[1:]] == ["intact"] * 4
    code, out = run_cli("audit", "verify", "--store", str(store))
    assert code == 1
    assert "first bad position: CLEARINGHOUSE position 31 (AUD-010)" in out


@covers("AUD-011")
def test_a_deleted_event_is_found_and_so_is_a_truncated_log(store: Path) -> None:
    edit(store, "REGISTRY_KR_ETS", "DELETE FROM stored_events WHERE rowid = 12")
    kr = log_of(check(store), "REGISTRY_KR_ETS")
    assert kr.first_bad_position == 12 and kr.counts == {"AUD-011": 1}
    edit(store, "CLEARINGHOUSE", "DELETE FROM stored_events WHERE rowid > 80")
    ch = log_of(check(store), "CLEARINGHOUSE")
    assert ch.first_bad_position == 81 and ch.counts == {"AUD-011": 8}  # 88 events anchored


@covers("AUD-012", "AUD-013")
def test_a_forged_event_inserted_in_the_middle_is_found_where_it_was_put(store: Path) -> None:
    # Make room at position 60 by moving every later row up one, then forge a row
    # there: a copy of an early event under a new version number.
    edit(
        store,
        "CLEARINGHOUSE",
        "UPDATE stored_events SET rowid = rowid + 1000000 WHERE rowid >= 60",
        "UPDATE stored_events SET rowid = rowid - 999999 WHERE rowid >= 1000000",
        "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
        "SELECT 60, originator_id, originator_version + 100, topic, state "
        "FROM stored_events WHERE rowid = 10",
    )
    ch = log_of(check(store), "CLEARINGHOUSE")
    assert ch.first_bad_position == 60
    assert ch.findings[0].code == "AUD-012"  # the forged row
    assert ch.findings[1].code == "AUD-013" and ch.findings[1].position == 61
    assert "checkpointed at position 60" in ch.findings[1].message  # the rest moved up


@covers("AUD-013")
def test_two_swapped_events_are_found_as_moved_also_across_a_segment_boundary(
    store: Path,
) -> None:
    swap = [
        "UPDATE stored_events SET rowid = -1 WHERE rowid = {a}",
        "UPDATE stored_events SET rowid = {a} WHERE rowid = {b}",
        "UPDATE stored_events SET rowid = {b} WHERE rowid = -1",
    ]
    edit(store, "CLEARINGHOUSE", *(s.format(a=20, b=25) for s in swap))
    edit(store, "REGISTRY_CN_ETS", *(s.format(a=5, b=9) for s in swap))
    result = check(store)
    ch = log_of(result, "CLEARINGHOUSE")
    assert [(f.code, f.position) for f in ch.findings] == [("AUD-013", 20), ("AUD-013", 25)]
    assert "checkpointed at position 25" in ch.findings[0].message
    cn = log_of(result, "REGISTRY_CN_ETS")
    assert [(f.code, f.position) for f in cn.findings] == [("AUD-013", 5), ("AUD-013", 9)]
    # segments hold 50 events: 45 and 55 are in different ones
    edit(store, "CLEARINGHOUSE", *(s.format(a=20, b=25) for s in swap))  # undo
    edit(store, "CLEARINGHOUSE", *(s.format(a=45, b=55) for s in swap))
    ch = log_of(check(store), "CLEARINGHOUSE")
    assert [(f.code, f.position) for f in ch.findings] == [("AUD-013", 45), ("AUD-013", 55)]


def test_events_after_the_last_checkpoint_are_counted_as_not_yet_protected(store: Path) -> None:
    with EmbeddedSystem(StoreConfig(kind="sqlite", path=store)) as system:
        demo.run_demo(system)  # another business year
    result = check(store)
    ch = log_of(result, "CLEARINGHOUSE")
    assert result.intact and ch.status == "intact"
    assert ch.anchored_through == 88 and ch.unanchored == ch.events - 88 > 0
    with open_logs(store) as logs:
        verify.checkpoint(logs, segment_size=50)
    assert log_of(check(store), "CLEARINGHOUSE").unanchored == 0


@covers("AUD-014")
def test_a_checkpoint_removed_from_the_audit_log_breaks_the_chain_of_checkpoints(
    store: Path,
) -> None:
    with open_logs(store) as logs:
        tip = logs.audit.tip("CLEARINGHOUSE")
        assert tip is not None and tip.segments == [1, 51]
    # the first segment's record goes (its aggregate has one event)
    with open_logs(store) as logs:
        segment_topic = "clearinghouse.audit.anchors:ChainSegment.Anchored"
        rows = logs.audit.recorder.select_notifications(1, 1000, topics=[segment_topic])
        first = next(
            r
            for r in rows
            if logs.audit.mapper.to_domain_event(r).segment["first"] == 1
            and logs.audit.mapper.to_domain_event(r).application == "CLEARINGHOUSE"
        )
    edit(store, "AUDIT", f"DELETE FROM stored_events WHERE rowid = {first.id}")
    ch = log_of(check(store), "CLEARINGHOUSE")
    assert ch.counts == {"AUD-014": 1} and ch.first_bad_position == 51
    assert ch.unanchored == 50  # the events the lost segment anchored


@covers("AUD-015")
def test_a_published_head_catches_a_rewrite_of_the_whole_history(
    store: Path, tmp_path: Path
) -> None:
    code, out = run_cli("audit", "head", "--store", str(store), "--json")
    assert code == 0
    published = tmp_path / "head.json"
    published.write_text(out)
    digest = json.loads(out)["digest"]
    # The operator edits an event, throws the audit log away and anchors again:
    # on its own, the store now verifies.
    edit(
        store,
        "CLEARINGHOUSE",
        "UPDATE stored_events SET state = CAST(replace(state, '\"CN\"', '\"KR\"') AS BLOB) "
        "WHERE rowid = 31",
    )
    for f in store.glob("audit.sqlite*"):
        f.unlink()
    with open_logs(store) as logs:
        verify.checkpoint(logs, segment_size=50)
    assert check(store).intact
    # Against the head published before, it does not.
    code, out = run_cli("audit", "verify", "--store", str(store), "--head", str(published))
    assert code == 1
    assert "AUD-015" in out and "CLEARINGHOUSE at position 88 does not match" in out
    # The digest alone is looked up in the audit log, which no longer knows it.
    code, out = run_cli("audit", "verify", "--store", str(store), "--head", digest)
    assert code == 1 and "has no record of it" in out


def test_verify_needs_checkpoints_to_prove_anything(demo_store: Path, tmp_path: Path) -> None:
    where = tmp_path / "bare"
    shutil.copytree(demo_store, where)
    code, out = run_cli("audit", "verify", "--store", str(where))
    assert code == 1 and "nothing proven" in out
    code, _ = run_cli("audit", "verify", "--store", str(tmp_path / "nowhere"))
    assert code == 2
    code, _ = run_cli("audit", "verify", "--store", str(where), "--app", "REGISTRY_XX")
    assert code == 2


class _Row:
    __slots__ = ("id", "originator_id", "originator_version", "state", "topic")

    def __init__(self, i: int) -> None:
        from uuid import UUID

        self.id = i
        self.originator_id = UUID(int=i % 977 + 1)
        self.originator_version = i // 977 + 1
        self.topic = "bench:Event"
        self.state = b'{"n": %d, "padding": "%s"}' % (i, b"x" * 200)


def _peak_verifying(events: int) -> int:
    """Peak memory while checking a synthetic log of ``events`` against its segments."""
    builder = SegmentBuilder("MEM", genesis("MEM"), size=1000)
    segments = []
    for i in range(1, events + 1):
        full = builder.add(_Row(i))
        if full is not None:
            segments.append(full)

    def lazily() -> Iterator[object]:
        yield from segments  # already in memory for the test; not counted below

    tracemalloc.start()
    check = ChainCheck("MEM", lazily(), [])  # type: ignore[arg-type]
    for start in range(1, events + 1, 500):
        check.feed(_Row(i) for i in range(start, min(start + 500, events + 1)))
    result = check.finish()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.intact and result.anchored_events == events
    return peak


def test_verification_runs_in_constant_memory_whatever_the_log_size() -> None:
    small, large = _peak_verifying(5_000), _peak_verifying(40_000)
    assert large < small * 1.5, (small, large)


@pytest.mark.postgres
def test_tampering_with_postgresql_tables_is_found(postgres_url: str) -> None:
    import psycopg
    from psycopg import sql

    store = StoreConfig.from_env(database_url=postgres_url)
    with EmbeddedSystem(store) as system:
        demo.run_demo(system)
    with Logs.of(store) as logs:
        assert logs.names() == [
            "CLEARINGHOUSE", "REGISTRY_CN_ETS", "REGISTRY_KR_ETS", "REGISTRY_SAITAMA",
            "REGISTRY_TOKYO",
        ]  # fmt: skip
        verify.checkpoint(logs, segment_size=40)
        assert verify.verify(logs).intact
        ch_positions = [r.id for r in logs.rows("CLEARINGHOUSE")]
        kr_positions = [r.id for r in logs.rows("REGISTRY_KR_ETS")]
    modified, deleted = ch_positions[30], kr_positions[11]
    schema = postgres_url.rsplit("schema=", 1)[1]
    base_url = postgres_url.split("?")[0]
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "UPDATE {}.clearinghouse_events SET state = "
                "convert_to(replace(convert_from(state, 'UTF8'), '\"CN\"', '\"KR\"'), 'UTF8') "
                "WHERE notification_id = %s"
            ).format(sql.Identifier(schema)),
            (modified,),
        )
        conn.execute(
            sql.SQL("DELETE FROM {}.registry_kr_ets_events WHERE notification_id = %s").format(
                sql.Identifier(schema)
            ),
            (deleted,),
        )
    with Logs.of(store) as logs:
        result = verify.verify(logs)
    assert not result.intact
    ch, kr = log_of(result, "CLEARINGHOUSE"), log_of(result, "REGISTRY_KR_ETS")
    assert (ch.first_bad_position, ch.counts) == (modified, {"AUD-010": 1})
    assert (kr.first_bad_position, kr.counts) == (deleted, {"AUD-011": 1})
    others = [log.status for log in result.logs if log.application.endswith(("TOKYO", "SAITAMA"))]
    assert others == ["intact", "intact"]


def test_files_in_the_store_that_are_not_logs_are_left_alone(store: Path) -> None:
    (store / "notes.sqlite").write_bytes(b"not a database")
    with sqlite3.connect(store / "keys.sqlite") as conn:
        conn.execute("CREATE TABLE api_keys (key TEXT)")
    with open_logs(store) as logs:
        assert "NOTES" not in logs.names() and "KEYS" not in logs.names()
    assert check(store).intact


@covers("AUD-014")
def test_a_whole_log_deleted_from_the_store_is_missed(store: Path) -> None:
    (store / "registry_tokyo.sqlite").unlink()
    result = check(store)
    tokyo = log_of(result, "REGISTRY_TOKYO")
    assert not result.intact and tokyo.status == "tampered"
    assert tokyo.findings[0].message == (
        "REGISTRY_TOKYO: the checkpoints are broken at position 0: the log is missing."
    )
