"""Evidence packs: a pack round-trips, and every kind of modification fails it."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

from clearinghouse import cli
from clearinghouse.audit import pack, verify
from clearinghouse.audit.logs import Logs
from clearinghouse.store import StoreConfig
from clearinghouse.system import EmbeddedSystem
from tests.audit_world import cross_two_borders
from tests.coverage import covers


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("audit-pack") / "store"
    store = StoreConfig(kind="sqlite", path=where)
    with EmbeddedSystem(store) as system:
        cross_two_borders(system)
    with Logs.of(store) as logs:
        verify.checkpoint(logs, segment_size=20)
    return where


@pytest.fixture
def exported(anchored: Path, tmp_path: Path) -> Path:
    out = tmp_path / "evidence.zip"
    code, _ = run_cli("audit", "export", "--store", str(anchored), "--out", str(out),
                      "--as-of", "2025-12-31", "--party", "AA")  # fmt: skip
    assert code == 0
    return out


def run_cli(*argv: str) -> tuple[int, str]:
    out = StringIO()
    with redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def rewrite(
    src: Path, dst: Path, change: Callable[[str, bytes], bytes | None], manifest: bool
) -> None:
    """Copy a pack, changing files (None drops one); optionally fix the manifest's
    checksums so only the deeper checks can catch the change."""
    with zipfile.ZipFile(src) as old:
        files = {n: old.read(n) for n in old.namelist()}
    changed = {}
    for name, data in files.items():
        if name == "manifest.json":
            continue
        new = change(name, data)
        if new is not None:
            changed[name] = new
    meta = json.loads(files["manifest.json"])
    if manifest:
        meta["files"] = {
            n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)}
            for n, d in changed.items()
        }
    with zipfile.ZipFile(dst, "w") as new_zip:
        for name, data in changed.items():
            new_zip.writestr(name, data)
        new_zip.writestr("manifest.json", json.dumps(meta))


def test_a_pack_round_trips_and_verifies_with_nothing_but_itself(
    anchored: Path, exported: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(exported) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
        lines = z.read("events/CLEARINGHOUSE.jsonl").decode().splitlines()
        projections = json.loads(z.read("projections.json"))
    assert {
        "manifest.json", "head.json", "projections.json", "reconciliation.json",
        "verification.json", "README.txt", "events/CLEARINGHOUSE.jsonl",
        "checkpoints/CLEARINGHOUSE.jsonl", "events/REGISTRY_C_REG.jsonl",
    } <= names  # fmt: skip
    assert set(manifest["files"]) == names - {"manifest.json"}
    with Logs.of(StoreConfig(kind="sqlite", path=anchored)) as logs:
        assert len(lines) == logs.position("CLEARINGHOUSE")
        head = verify.current_head(logs)
    first = json.loads(lines[0])
    assert first["position"] == 1 and first["topic"].endswith("Party.Registered")
    assert json.loads(first["state"])["code"] == "AA"  # the state exactly as stored
    assert projections["as_of"] == "2025-12-31"
    # moved away from the store: verify-pack needs only the file
    alone = tmp_path / "elsewhere" / "evidence.zip"
    alone.parent.mkdir()
    shutil.copy(exported, alone)
    assert head is not None
    code, out = run_cli("audit", "verify-pack", str(alone), "--head", head.digest)
    assert code == 0, out
    assert "projections recomputed from the events: identical" in out
    assert "Result: verified" in out
    result = pack.verify_pack(alone)
    assert result.intact and result.projections_match and result.reconciliation_match
    assert [log.status for log in result.logs] == ["intact"] * 4


@covers("AUD-030")
def test_an_edited_file_fails_its_checksum(exported: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"

    def edit(name: str, data: bytes) -> bytes:
        if name == "events/CLEARINGHOUSE.jsonl":
            return data.replace(b'\\"AA\\"', b'\\"BB\\"', 1)
        return data

    rewrite(exported, bad, edit, manifest=False)
    result = pack.verify_pack(bad)
    assert not result.intact
    assert [(f.code, f.message) for f in result.findings] == [
        ("AUD-030", "Evidence pack bad.zip: events/CLEARINGHOUSE.jsonl does not match its "
                    "checksum in the manifest."),
    ]  # fmt: skip
    code, out = run_cli("audit", "verify-pack", str(bad))
    assert code == 1 and "NOT VERIFIED" in out


def test_an_edited_event_with_a_fixed_manifest_fails_the_hash_chain(
    exported: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"
    edited: list[int] = []

    def edit(name: str, data: bytes) -> bytes:
        if name == "events/REGISTRY_B_REG.jsonl":  # the account BUYER renamed when opened
            lines = data.split(b"\n")
            i = next(i for i, line in enumerate(lines) if b"BUYER" in line)
            lines[i] = lines[i].replace(b"BUYER", b"BUYEX")
            edited.append(json.loads(lines[i])["position"])
            return b"\n".join(lines)
        return data

    rewrite(exported, bad, edit, manifest=True)
    result = pack.verify_pack(bad)
    b_reg = next(log for log in result.logs if log.application == "REGISTRY_B_REG")
    assert not result.intact and b_reg.status == "tampered"
    assert b_reg.first_bad_position == edited[0]
    assert b_reg.counts == {"AUD-010": 1}


@covers("AUD-031")
def test_missing_extra_and_unreadable_contents_are_refused(exported: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.zip"
    rewrite(exported, missing, lambda n, d: None if n == "head.json" else d, manifest=False)
    reasons = [f.message for f in pack.verify_pack(missing).findings]
    assert reasons == ["Evidence pack missing.zip: head.json is missing."]
    extra = tmp_path / "extra.zip"
    shutil.copy(exported, extra)
    with zipfile.ZipFile(extra, "a") as z:
        z.writestr("events/FORGED.jsonl", b"{}\n")
    reasons = [f.message for f in pack.verify_pack(extra).findings]
    assert reasons == ["Evidence pack extra.zip: events/FORGED.jsonl is not in the manifest."]
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    (finding,) = pack.verify_pack(junk).findings
    assert finding.code == "AUD-031" and "not a readable zip" in finding.message


@covers("AUD-032")
def test_projections_that_do_not_follow_from_the_events_are_caught(
    exported: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.zip"

    def edit(name: str, data: bytes) -> bytes:
        if name == "projections.json":  # AA's first transfer said to be smaller
            return data.replace(b'"first_transfer":400', b'"first_transfer":300')
        return data

    rewrite(exported, bad, edit, manifest=True)
    result = pack.verify_pack(bad)
    assert result.projections_match is False and result.reconciliation_match is True
    assert [f.code for f in result.findings] == ["AUD-032"]
    assert all(log.status == "intact" for log in result.logs)


def test_a_rewritten_history_packs_cleanly_but_fails_the_published_head(
    anchored: Path, tmp_path: Path
) -> None:
    where = tmp_path / "store"
    shutil.copytree(anchored, where)
    with Logs.of(StoreConfig(kind="sqlite", path=where)) as logs:
        published = verify.current_head(logs)
    assert published is not None
    # the operator edits an event, throws the checkpoints away and anchors again
    with sqlite3.connect(where / "clearinghouse.sqlite") as conn:
        conn.execute(
            "UPDATE stored_events SET state = CAST(replace(state, '\"AA\"', '\"BB\"') AS BLOB) "
            "WHERE rowid = 1"
        )
    for f in where.glob("audit.sqlite*"):
        f.unlink()
    with Logs.of(StoreConfig(kind="sqlite", path=where)) as logs:
        verify.checkpoint(logs, segment_size=20)
    out = tmp_path / "rewritten.zip"
    assert run_cli("audit", "export", "--store", str(where), "--out", str(out))[0] == 0
    assert pack.verify_pack(out).intact  # consistent in itself
    result = pack.verify_pack(out, published.digest)
    assert not result.intact
    assert [f.code for f in result.findings] == ["AUD-015"]
    head_file = tmp_path / "head.json"
    head_file.write_text(published.model_dump_json())
    result = pack.verify_pack(out, verify.Head.model_validate_json(head_file.read_text()))
    assert [(f.code, f.application) for f in result.findings] == [("AUD-015", "(pack)")]
    assert "CLEARINGHOUSE at position" in result.findings[0].message
