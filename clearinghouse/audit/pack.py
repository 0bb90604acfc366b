"""Evidence packs: everything an auditor needs, in one zip that verifies offline.

``export`` writes::

    manifest.json               format, logs, head, replay parameters, and the
                                SHA-256 and size of every other file
    events/<APP>.jsonl          every stored event of every log, in recording order:
                                position, originator id and version, topic, and the
                                state exactly as stored (text, or base64 if binary)
    checkpoints/<APP>.jsonl     the log's checkpoint segments (clearinghouse/audit/anchors.py)
    head.json                   the head last recorded: every log's anchored position
                                and chain value, and their digest
    projections.json            the replay (clearinghouse/audit/replay.py), canonical JSON
    reconciliation.json         every registry reconciled with the central ledger (not recorded)
    verification.json           what `audit verify` said when the pack was made
    README.txt                  how to check it

``verify_pack`` needs nothing but the zip (and this tool): it checks every file
against the manifest (AUD-030, AUD-031), recomputes every log's hash chain from
the packed events against the packed checkpoints (AUD-010..014) and the head
(AUD-015, and against a head published elsewhere if given), then recomputes the
projections and the reconciliation from the packed events and compares them
byte for byte (AUD-032). The pack's own identity is the SHA-256 of its manifest.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from pydantic import BaseModel

from clearinghouse.audit import reconcile as reconciling
from clearinghouse.audit import replay as replaying
from clearinghouse.audit import verify as verifying
from clearinghouse.audit.hashchain import ChainCheck, ChainResult, Segment
from clearinghouse.audit.hashchain import Finding as ChainFinding
from clearinghouse.audit.logs import Logs, ReadOnlyLog
from clearinghouse.checks import CATALOGUE
from clearinghouse.progress import ProgressBar
from clearinghouse.store import StoreConfig

FORMAT = "clearinghouse-evidence-pack/v1"
README = """\
Evidence pack of a clearinghouse store ({format}).

Check it with nothing but this file and the clearinghouse tool:

    clearinghouse audit verify-pack {name}
    clearinghouse audit verify-pack {name} --head <digest published by the operator>

manifest.json lists every file with its SHA-256; events/ holds every log's stored
events in recording order (state exactly as stored); checkpoints/ the hash-chain
checkpoints; head.json the head last recorded. projections.json and
reconciliation.json are recomputed from events/ by verify-pack and must match byte
for byte. See docs/audit.md.
"""


class PackSummary(BaseModel):
    path: str
    digest: str  # SHA-256 of manifest.json
    files: int
    events: dict[str, int]
    head: str | None


class PackVerification(BaseModel):
    pack: str
    digest: str
    intact: bool  # every check passed
    anchored: bool
    findings: list[verifying.Finding]  # file, head and recomputation findings
    logs: list[verifying.LogVerification]
    head: verifying.Head | None
    projections_match: bool | None
    reconciliation_match: bool | None


# -- export ----------------------------------------------------------------------------


class _Writer:
    """Writes files into the zip, remembering each one's checksum and size."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: dict[str, dict[str, Any]] = {}

    def write(self, name: str, data: bytes) -> None:
        self.archive.writestr(name, data)
        self.files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}

    def lines(self, name: str, lines: Iterator[bytes]) -> int:
        digest, size, count = hashlib.sha256(), 0, 0
        with self.archive.open(name, "w", force_zip64=True) as out:
            for line in lines:
                out.write(line)
                digest.update(line)
                size += len(line)
                count += 1
        self.files[name] = {"sha256": digest.hexdigest(), "bytes": size}
        return count


def _event_line(row: Any) -> bytes:
    state = row.state if isinstance(row.state, bytes) else bytes(row.state)
    record: dict[str, Any] = {
        "position": row.id,
        "originator_id": str(row.originator_id),
        "originator_version": row.originator_version,
        "topic": row.topic,
    }
    try:
        record["state"] = state.decode("utf-8")
    except UnicodeDecodeError:
        record["state_b64"] = base64.b64encode(state).decode()
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=str) + "\n").encode()


def export(
    logs: Logs,
    out: Path,
    as_of: date | None = None,
    position: int | None = None,
    parties: list[str] | None = None,
    bar: ProgressBar | None = None,
) -> PackSummary:
    """Write the evidence pack of ``logs`` to ``out`` (read-only on the store)."""
    names = logs.names()
    ends = {name: logs.position(name) for name in names}
    if bar is not None:
        bar.total = max(1, sum(ends.values()) * 4)
    head = verifying.current_head(logs)
    replayed = replaying.replay(logs, as_of, position, parties=parties)
    if bar is not None:
        bar.advance(sum(ends.values()), "projections")
    reports = reconciling.reconcile(logs, None, None, check_chains=False)
    checked = verifying.verify(logs)
    if bar is not None:
        bar.advance(sum(ends.values()) * 2, "verified")
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer = _Writer(archive)
        for name in names:
            rows = (_event_line(row) for page in logs.pages(name, stop=ends[name]) for row in page)
            counts[name] = writer.lines(f"events/{name}.jsonl", rows)
            if bar is not None:
                bar.advance(counts[name], name)
            writer.lines(
                f"checkpoints/{name}.jsonl",
                (_json_line(s.as_json()) for s in verifying.segments(logs, name)),
            )
        writer.write("head.json", _json(head.model_dump() if head else None))
        writer.write("projections.json", replayed.canonical())
        writer.write("reconciliation.json", _json([r.model_dump(mode="json") for r in reports]))
        writer.write("verification.json", _json(checked.model_dump(mode="json")))
        writer.write("README.txt", README.format(format=FORMAT, name=out.name).encode())
        manifest = {
            "format": FORMAT,
            "store": logs.store.describe(),
            "logs": {n: {"events": counts[n], "position": ends[n]} for n in names},
            "head": head.digest if head else None,
            "replay": {
                "as_of": as_of.isoformat() if as_of else None,
                "position": position,
                "parties": sorted(parties or []),
            },
            "files": writer.files,
        }
        data = _json(manifest)
        archive.writestr("manifest.json", data)
    return PackSummary(
        path=str(out),
        digest=hashlib.sha256(data).hexdigest(),
        files=len(writer.files) + 1,
        events=counts,
        head=head.digest if head else None,
    )


def _json_line(data: Any) -> bytes:
    return (json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n").encode()


# -- reading a pack --------------------------------------------------------------------


class PackLogs(Logs):
    """The logs inside a pack, read like a store's (streamed from the zip)."""

    def __init__(self, archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
        super().__init__(StoreConfig.memory(), apps={})
        self.archive = archive
        self.manifest = manifest
        self._mappers: dict[str, Any] = {}

    def names(self) -> list[str]:
        return sorted(self.manifest["logs"], key=lambda n: (n != "CLEARINGHOUSE", n))

    def position(self, name: str) -> int:
        return int(self.manifest["logs"][name]["position"])

    def rows(self, name: str, start: int = 1, stop: int | None = None) -> Iterator[Any]:
        with self.archive.open(f"events/{name}.jsonl") as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8"):
                row = _row(json.loads(line))
                if row.id < start:
                    continue
                if stop is not None and row.id > stop:
                    return
                yield row

    def pages(self, name: str, start: int = 1, stop: int | None = None) -> Iterator[Any]:
        page: list[Any] = []
        for row in self.rows(name, start, stop):
            page.append(row)
            if len(page) == 2000:
                yield page
                page = []
        if page:
            yield page

    def mapper(self, name: str) -> Any:
        if name not in self._mappers:
            log = ReadOnlyLog(name, StoreConfig.memory())
            self._mappers[name] = log.mapper
            self._owned.append(log)
        return self._mappers[name]

    def segments(self, name: str) -> Iterator[Segment]:
        path = f"checkpoints/{name}.jsonl"
        if path not in self.archive.namelist():
            return
        with self.archive.open(path) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8"):
                yield Segment.from_json(json.loads(line))


def _row(record: dict[str, Any]) -> Notification:
    if "state" in record:
        state = str(record["state"]).encode("utf-8")
    else:
        state = base64.b64decode(record["state_b64"])
    oid = record["originator_id"]
    try:
        originator: UUID | str = UUID(oid)
    except ValueError:
        originator = oid
    return Notification(
        id=int(record["position"]),
        originator_id=originator,
        originator_version=int(record["originator_version"]),
        topic=str(record["topic"]),
        state=state,
    )


# -- verify-pack --------------------------------------------------------------------------


def _finding(code: str, **facts: Any) -> verifying.Finding:
    return verifying.Finding(
        code=code, application="(pack)", position=0, message=CATALOGUE[code].message(**facts)
    )


def verify_pack(path: Path, head: verifying.Head | str | None = None) -> PackVerification:
    """Check a pack with nothing but itself (and a published head, if given)."""
    name = path.name
    findings: list[verifying.Finding] = []

    def result(**kwargs: Any) -> PackVerification:
        defaults: dict[str, Any] = {
            "pack": str(path), "digest": "", "intact": False, "anchored": False,
            "findings": findings, "logs": [], "head": None, "projections_match": None,
            "reconciliation_match": None,
        }  # fmt: skip
        return PackVerification(**{**defaults, **kwargs})

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        findings.append(_finding("AUD-031", pack=name, reason=f"not a readable zip ({error})"))
        return result()
    with archive:
        try:
            raw = archive.read("manifest.json")
            manifest = json.loads(raw)
            assert manifest.get("format") == FORMAT, f"format {manifest.get('format')!r}"
        except (KeyError, ValueError, AssertionError) as error:
            findings.append(_finding("AUD-031", pack=name, reason=f"no usable manifest ({error})"))
            return result()
        digest = hashlib.sha256(raw).hexdigest()
        findings += _check_files(archive, manifest, name)
        if findings:  # nothing in it can be trusted: stop at the files
            return result(digest=digest)
        logs = PackLogs(archive, manifest)
        with logs:
            checked = [_check_log(logs, n) for n in logs.names()]
            packed_head = _packed_head(archive)
            published = _published(head, packed_head, findings, name)
            findings += _check_head(logs, published or packed_head, checked)
            projections = _recomputed_projections(logs, archive, manifest)
            reconciliation = _recomputed_reconciliation(logs, archive)
        if not projections:
            findings.append(
                _finding("AUD-032", pack=name, reason="projections.json does not follow from "
                         "the packed events (recomputed, the bytes differ)")
            )  # fmt: skip
        if not reconciliation:
            findings.append(
                _finding("AUD-032", pack=name, reason="reconciliation.json does not follow "
                         "from the packed events")
            )  # fmt: skip
        models = [verifying.model_of(c) for c in checked]
        return result(
            digest=digest,
            intact=not findings and all(m.status != "tampered" for m in models),
            anchored=any(m.anchored_events for m in models),
            logs=models,
            head=published or packed_head,
            projections_match=projections,
            reconciliation_match=reconciliation,
        )


def _check_files(
    archive: zipfile.ZipFile, manifest: dict[str, Any], name: str
) -> list[verifying.Finding]:
    found = []
    listed = manifest.get("files", {})
    present = set(archive.namelist()) - {"manifest.json"}
    for file, entry in sorted(listed.items()):
        if file not in present:
            found.append(_finding("AUD-031", pack=name, reason=f"{file} is missing"))
            continue
        digest = hashlib.sha256()
        with archive.open(file) as data:
            for chunk in iter(lambda d=data: d.read(1 << 20), b""):  # type: ignore[misc]
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            found.append(_finding("AUD-030", pack=name, file=file))
    for file in sorted(present - set(listed)):
        found.append(_finding("AUD-031", pack=name, reason=f"{file} is not in the manifest"))
    for log in manifest.get("logs", {}):
        if f"events/{log}.jsonl" not in listed:
            found.append(_finding("AUD-031", pack=name, reason=f"the events of {log} are missing"))
    return found


def _check_log(logs: PackLogs, name: str) -> ChainResult:
    """The packed log against its packed checkpoints (a malformed one: AUD-014)."""
    check = ChainCheck(name, logs.segments(name), [])
    try:
        for page in logs.pages(name):
            check.feed(page)
        return check.finish()
    except ValueError as error:
        result = ChainResult(name, counts={"AUD-014": 1})
        facts = {"application": name, "position": 0, "reason": str(error)}
        result.findings.append(ChainFinding("AUD-014", 0, facts))
        return result


def _packed_head(archive: zipfile.ZipFile) -> verifying.Head | None:
    data = json.loads(archive.read("head.json"))
    return None if data is None else verifying.Head.model_validate(data)


def _published(
    head: verifying.Head | str | None,
    packed: verifying.Head | None,
    findings: list[verifying.Finding],
    name: str,
) -> verifying.Head | None:
    """The head to check against: one published elsewhere wins over the packed one."""
    if head is None:
        return None
    if isinstance(head, verifying.Head):
        return head
    if packed is not None and packed.digest == head:
        return packed
    findings.append(
        _finding("AUD-015", digest=head, application="(all)", position=0,
                 reason=f"the pack's head is {packed.digest if packed else 'missing'}")
    )  # fmt: skip
    return None


def _check_head(
    logs: PackLogs, head: verifying.Head | None, checked: list[Any]
) -> list[verifying.Finding]:
    if head is None:
        return []
    found = []
    if head.recomputed() != head.digest:
        found.append(
            _finding("AUD-015", digest=head.digest, application="(all)", position=0,
                     reason="its entries do not hash to its digest")
        )  # fmt: skip
    for app, entry in head.logs.items():
        if app not in logs.manifest["logs"]:
            found.append(
                _finding("AUD-015", digest=head.digest, application=app, position=entry.position,
                         reason="the pack has no such log")
            )  # fmt: skip
            continue
        check = ChainCheck(app, [], [entry.position])
        for page in logs.pages(app, stop=entry.position):
            check.feed(page)
        value = check.finish().watched.get(entry.position)
        if value is None or value.hex() != entry.value:
            found.append(
                _finding("AUD-015", digest=head.digest, application=app, position=entry.position,
                         reason="the packed events do not give its chain value")
            )  # fmt: skip
    return found


def _recomputed_projections(
    logs: PackLogs, archive: zipfile.ZipFile, manifest: dict[str, Any]
) -> bool:
    params = manifest.get("replay", {})
    as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    replayed = replaying.replay(
        logs, as_of, params.get("position"), parties=params.get("parties") or None
    )
    return replayed.canonical() == archive.read("projections.json")


def _recomputed_reconciliation(logs: PackLogs, archive: zipfile.ZipFile) -> bool:
    reports = reconciling.reconcile(logs, None, None, check_chains=False)
    return _json([r.model_dump(mode="json") for r in reports]) == archive.read(
        "reconciliation.json"
    )
