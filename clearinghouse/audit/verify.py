"""Checkpoint, head and verify: the tamper-evidence services.

* :func:`checkpoint` chains every log on from where it was last anchored and
  records the new segments and the resulting head in the audit log.
* :func:`current_head` is the head as last recorded: what an operator
  publishes.
* :func:`verify` streams every log against its checkpoints (constant memory)
  and, given a published head, checks the chain values it names. It reports
  every bad position with its AUD code, and the first.

Each takes a :class:`~clearinghouse.audit.logs.Logs` and returns a pydantic
model; the command line formats them (clearinghouse/cli_audit.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from clearinghouse.audit.anchors import ChainSegment, ChainTip, HeadRecord, head_digest
from clearinghouse.audit.hashchain import ChainCheck, ChainResult, Segment, SegmentBuilder, genesis
from clearinghouse.audit.logs import Logs
from clearinghouse.checks import CATALOGUE
from clearinghouse.progress import ProgressBar

DEFAULT_SEGMENT = 10_000


class Finding(BaseModel):
    """Something wrong at one position of one log, with its AUD code."""

    code: str
    application: str
    position: int
    message: str

    @classmethod
    def of(cls, application: str, code: str, position: int, facts: dict[str, Any]) -> Finding:
        return cls(
            code=code,
            application=application,
            position=position,
            message=CATALOGUE[code].message(**facts),
        )


class HeadEntry(BaseModel):
    position: int
    value: str  # chain value (hex) at that position


class Head(BaseModel):
    """Every log's anchored position and chain value, and their digest."""

    digest: str
    logs: dict[str, HeadEntry]

    @classmethod
    def of(cls, logs: dict[str, tuple[int, str]]) -> Head:
        return cls(
            digest=head_digest(logs),
            logs={app: HeadEntry(position=p, value=v) for app, (p, v) in sorted(logs.items())},
        )

    def recomputed(self) -> str:
        return head_digest({app: (e.position, e.value) for app, e in self.logs.items()})


class Checkpointed(BaseModel):
    application: str
    new_events: int
    new_segments: int
    position: int
    value: str


class CheckpointResult(BaseModel):
    logs: list[Checkpointed]
    head: Head


class LogVerification(BaseModel):
    application: str
    status: Literal["intact", "tampered", "not anchored", "empty"]
    events: int
    position: int  # last position of the log as it is
    anchored_through: int
    anchored_events: int
    unanchored: int  # events after the last checkpoint: not protected yet
    segments: int
    value: str  # chain value of the log as it is, at ``position``
    first_bad_position: int | None
    counts: dict[str, int]  # findings per AUD code
    findings: list[Finding]  # the first ones (up to 100 per log)


class Verification(BaseModel):
    store: str
    intact: bool  # nothing found (see ``anchored``: whether anything was checked)
    anchored: bool  # some events were checkpointed, so something was proven
    first_bad: Finding | None
    logs: list[LogVerification]
    head: Head | None = None  # the published head checked, if one was given
    head_findings: list[Finding] = []


# -- checkpoint --------------------------------------------------------------------------


def checkpoint(
    logs: Logs, segment_size: int = DEFAULT_SEGMENT, bar: ProgressBar | None = None
) -> CheckpointResult:
    """Anchor every log up to its current end and record the head.

    Each segment is saved with the tip's advance in one transaction, so an
    interrupted checkpoint leaves the audit log consistent and the next one
    carries on."""
    done: list[Checkpointed] = []
    ends = {name: logs.position(name) for name in logs.names()}
    if bar is not None:
        bar.total = max(1, sum(ends.values()) - _anchored(logs, ends))
    for name, end in ends.items():
        done.append(_anchor(logs, name, end, segment_size, bar))
    audit = logs.audit
    head = Head.of({c.application: (c.position, c.value) for c in done})
    if audit.head(head.digest) is None:
        audit.save(
            HeadRecord(head.digest, {a: [e.position, e.value] for a, e in head.logs.items()})
        )
    return CheckpointResult(logs=done, head=head)


def _anchor(
    logs: Logs, name: str, end: int, segment_size: int, bar: ProgressBar | None
) -> Checkpointed:
    """Anchor one log from its tip up to ``end``."""
    audit = logs.audit
    tip = audit.tip(name) or ChainTip(name, genesis(name).hex())
    before, segments = tip.events, 0
    builder = SegmentBuilder(name, bytes.fromhex(tip.head), segment_size)

    def save(segment: Segment) -> None:
        tip.advance(segment.first, segment.last, segment.count, segment.head.hex())
        audit.save(tip, ChainSegment(name, segment.first, segment.as_json()))

    if end > tip.position:
        for page in logs.pages(name, start=tip.position + 1, stop=end):
            for row in page:
                full = builder.add(row)
                if full is not None:
                    save(full)
                    segments += 1
            if bar is not None:
                bar.advance(len(page), name)
        rest = builder.cut()
        if rest is not None:
            save(rest)
            segments += 1
    if tip.pending_events:  # a log with nothing to anchor yet still gets its tip
        audit.save(tip)
    return Checkpointed(
        application=name,
        new_events=tip.events - before,
        new_segments=segments,
        position=tip.position,
        value=tip.head,
    )


def _anchored(logs: Logs, ends: dict[str, int]) -> int:
    total = 0
    for name in ends:
        tip = logs.audit.tip(name)
        total += tip.position if tip else 0
    return total


def current_head(logs: Logs) -> Head | None:
    """The head of the checkpoints as they stand (None before the first one)."""
    tips = logs.audit.tips()
    if not tips:
        return None
    return Head.of({t.application: (t.position, t.head) for t in tips})


def recorded_head(logs: Logs, digest: str) -> Head | None:
    record = logs.audit.head(digest)
    if record is None:
        return None
    return Head.of({app: (int(p), str(v)) for app, (p, v) in record.logs.items()})


# -- verify ----------------------------------------------------------------------------


def verify(
    logs: Logs,
    applications: list[str] | None = None,
    head: Head | str | None = None,
    bar: ProgressBar | None = None,
) -> Verification:
    """Check every log (or those named) against its checkpoints and, if given,
    a published head (a :class:`Head`, or its digest to look up in the audit log)."""
    head_findings: list[Finding] = []
    published = _published(logs, head, head_findings)
    names = list(applications or logs.names())
    if applications is None:  # a log anchored once and gone since is found missing
        names += [t.application for t in logs.audit.tips() if t.application not in names]
    if published is not None:
        names += [n for n in published.logs if n not in names]
    if bar is not None:
        bar.total = max(1, sum(logs.position(n) for n in names if logs.has(n)))
    checked: list[LogVerification] = []
    for name in names:
        watch = [published.logs[name].position] if published and name in published.logs else []
        if not logs.has(name):
            checked.append(_missing(name))
            if watch:
                head_findings.append(_head_mismatch(name, published, None))  # type: ignore[arg-type]
            continue
        result = check_log(logs, name, watch, bar)
        checked.append(model_of(result))
        if published is not None and name in published.logs:
            entry = published.logs[name]
            actual = result.watched.get(entry.position)
            if actual is None or actual.hex() != entry.value:
                head_findings.append(_head_mismatch(name, published, actual))
    return Verification(
        store=logs.store.describe(),
        intact=not head_findings and all(log.status != "tampered" for log in checked),
        anchored=any(log.anchored_events for log in checked),
        first_bad=_first_bad(checked) or (head_findings[0] if head_findings else None),
        logs=checked,
        head=published,
        head_findings=head_findings,
    )


def check_log(
    logs: Logs, name: str, watch: list[int] | None = None, bar: ProgressBar | None = None
) -> ChainResult:
    """Stream one log against its checkpoint segments."""
    check = ChainCheck(name, segments(logs, name), watch or [])
    for page in logs.pages(name):
        check.feed(page)
        if bar is not None:
            bar.advance(len(page), name)
    return check.finish()


def segments(logs: Logs, name: str) -> Any:
    """The log's checkpoint segments in order, one at a time (a missing one is
    skipped: the next one's link to it then breaks, AUD-014)."""
    tip = logs.audit.tip(name)
    for first in tip.segments if tip else []:
        segment = logs.audit.segment(name, first)
        if segment is not None:
            yield segment


def model_of(result: ChainResult) -> LogVerification:
    name = result.application
    findings = [Finding.of(name, f.code, f.position, f.facts) for f in result.findings]
    if result.counts:
        status: Literal["intact", "tampered", "not anchored", "empty"] = "tampered"
    elif result.events == 0:
        status = "empty"
    elif result.anchored_events == 0:
        status = "not anchored"
    else:
        status = "intact"
    first = result.first_bad
    return LogVerification(
        application=name,
        status=status,
        events=result.events,
        position=result.position,
        anchored_through=result.anchored_through,
        anchored_events=result.anchored_events,
        unanchored=result.unanchored,
        segments=result.segments,
        value=result.head.hex(),
        first_bad_position=first.position if first else None,
        counts=dict(sorted(result.counts.items())),
        findings=findings,
    )


def _missing(name: str) -> LogVerification:
    finding = Finding.of(
        name, "AUD-014", 0, {"application": name, "position": 0, "reason": "the log is missing"}
    )
    return LogVerification(
        application=name, status="tampered", events=0, position=0, anchored_through=0,
        anchored_events=0, unanchored=0, segments=0, value="", first_bad_position=0,
        counts={"AUD-014": 1}, findings=[finding],
    )  # fmt: skip


def _published(logs: Logs, head: Head | str | None, findings: list[Finding]) -> Head | None:
    if head is None or isinstance(head, Head):
        if head is not None and head.recomputed() != head.digest:
            findings.append(
                Finding.of(
                    "(head)", "AUD-015", 0,
                    {"digest": head.digest, "application": "(all)", "position": 0,
                     "reason": "its entries do not hash to its digest"},
                )
            )  # fmt: skip
        return head
    found = recorded_head(logs, head)
    if found is None:
        findings.append(
            Finding.of(
                "(head)", "AUD-015", 0,
                {"digest": head, "application": "(all)", "position": 0,
                 "reason": "the audit log has no record of it: give the head's entries "
                 "(clearinghouse audit head --json) to check the logs against it"},
            )
        )  # fmt: skip
    return found


def _head_mismatch(name: str, head: Head, actual: bytes | None) -> Finding:
    entry = head.logs[name]
    reason = (
        "the log has no event at that position"
        if actual is None
        else f"the chain value there is now {actual.hex()[:16]}…, not {entry.value[:16]}…"
    )
    return Finding.of(
        name,
        "AUD-015",
        entry.position,
        {"digest": head.digest, "application": name, "position": entry.position, "reason": reason},
    )


def _first_bad(checked: list[LogVerification]) -> Finding | None:
    for log in checked:
        if log.findings:
            return min(log.findings, key=lambda f: f.position)
    return None
