"""Simulation runs for the API: each in a folder of its own, run by a bounded pool.

A run is ``<simulations_dir>/<id>/``: ``status.json`` (what
:class:`~clearinghouse.service.simulation_requests.SimulationStatus` says), the
scenario as submitted, and, once it has run, what ``clearinghouse simulate``
writes (``clearinghouse.simulation.run.simulate``): ``store/`` — the run's own
SQLite event logs, never the service's store — ``results.json``, the CSV tables,
``charts/``, ``report.html`` and ``parties/``.

Simulations are CPU-heavy, so at most ``simulation_workers`` run at once (threads
of the API process) and at most ``simulation_queue`` wait; a start beyond that is
refused (SVC-007) rather than queued without bound. A run can be cancelled; a
running one stops at its next step (markets cleared, each simulated year). The
status lives on disk, so a restarted API still answers for finished runs; runs
it was running or holding in its queue when it stopped are marked failed.

One API process owns a simulations folder: give each replica its own.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from clearinghouse.checks import Refused
from clearinghouse.service.settings import ServiceSettings
from clearinghouse.service.simulation_requests import (
    Failure,
    Outcome,
    Progress,
    ScenarioCheck,
    SimulationRequest,
    SimulationStatus,
    admit,
    check,
)
from clearinghouse.simulation.scenario import Loaded
from clearinghouse.store import StoreConfig

log = logging.getLogger(__name__)

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
STATUS = "status.json"
#: what a run's folder serves, by suffix (never store/, never status.json)
MEDIA_TYPES = {
    ".html": "text/html",
    ".json": "application/json",
    ".csv": "text/csv",
    ".png": "image/png",
    ".yaml": "application/yaml",
}
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
ACTIVE = ("queued", "running")


class Interrupted(Exception):
    """Raised from a run's progress callback: stop at this step."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Job:
    id: str
    cancel: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None


class SimulationRunner:
    """The API's simulation service (``clearinghouse.api.services.SimulationService``)."""

    def __init__(
        self, folder: Path, workers: int = 1, queue: int = 8, max_entities: int = 50_000
    ) -> None:
        self.folder = folder
        self.workers = workers
        self.queue = queue
        self.max_entities = max_entities
        self._lock = threading.RLock()
        self._jobs: dict[str, _Job] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._stopping = threading.Event()
        self._recover()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> SimulationRunner | None:
        if settings.simulation_workers == 0:
            return None
        return cls(
            settings.simulations_dir,
            settings.simulation_workers,
            settings.simulation_queue,
            settings.simulation_max_entities,
        )

    # -- commands ----------------------------------------------------------------------

    def check(self, request: SimulationRequest) -> ScenarioCheck:
        return check(*admit(request, self.max_entities))

    def start(self, request: SimulationRequest, by: str) -> SimulationStatus:
        """Admit the scenario (or raise ``InvalidScenario``) and queue its run."""
        loaded, rules = admit(request, self.max_entities)
        with self._lock:
            self._room()
            run_id = uuid4().hex
            out = self.folder / run_id
            out.mkdir(parents=True)
            (out / "scenario.yaml").write_text(loaded.text, encoding="utf-8")
            status = SimulationStatus(
                id=run_id,
                scenario=loaded.scenario.name,
                title=loaded.scenario.title,
                years=loaded.scenario.year_list,
                rules=rules,
                job="simulate",
                state="queued",
                submitted_by=by,
                submitted_at=_now(),
            )
            self._write(status)
            self._submit(run_id, lambda job: self._simulate(job, loaded, rules))
        return status

    def reaccount(self, run_id: str, rules: list[str], by: str) -> SimulationStatus | None:
        """Queue re-accounting a finished run's log under ``rules``."""
        with self._lock:
            status = self.status(run_id)
            if status is None:
                return None
            if status.state in ACTIVE:
                raise Refused(
                    "SVC-008",
                    simulation=run_id,
                    state=status.state,
                    reason="re-account it once it has finished",
                )
            if not (self.folder / run_id / "results.json").exists():
                raise Refused(
                    "SVC-008",
                    simulation=run_id,
                    state=status.state,
                    reason="it has no results to re-account; start the scenario again",
                )
            self._room()
            status = status.model_copy(
                update={
                    "job": "re-account",
                    "state": "queued",
                    "rules": rules,
                    "submitted_by": by,
                    "submitted_at": _now(),
                    "started_at": None,
                    "finished_at": None,
                    "progress": None,
                    "error": None,
                }
            )
            self._write(status)
            self._submit(run_id, lambda job: self._reaccount(job, rules))
        return status

    def cancel(self, run_id: str) -> SimulationStatus | None:
        """Cancel a queued simulation, or stop a running one at its next step."""
        with self._lock:
            status = self.status(run_id)
            if status is None:
                return None
            job = self._jobs.get(run_id)
            if status.state not in ACTIVE or job is None:
                raise Refused(
                    "SVC-008",
                    simulation=run_id,
                    state=status.state,
                    reason="only a queued or running simulation can be cancelled",
                )
            if status.job == "re-account":
                # its results stay those of the last accounting until it has run: there
                # is nothing to stop half-way, and nothing to gain by dropping it
                raise Refused(
                    "SVC-008",
                    simulation=run_id,
                    state=f"{status.state} (re-accounting)",
                    reason="re-accounting is not cancelled; it ends shortly",
                )
            job.cancel.set()
            if job.future is not None and job.future.cancel():
                self._jobs.pop(run_id, None)
                return self._end(run_id, "cancelled", Failure(code=None, reason="cancelled"))
            return status

    # -- reads -------------------------------------------------------------------------

    def status(self, run_id: str) -> SimulationStatus | None:
        if not RUN_ID.match(run_id):
            return None
        path = self.folder / run_id / STATUS
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        status = SimulationStatus.model_validate_json(text)
        if status.state == "finished":
            status.files = self._files(run_id)
        return status

    def runs(self, limit: int = 50) -> list[SimulationStatus]:
        """The newest ``limit`` runs, newest first."""
        if not self.folder.is_dir():
            return []
        found = [s for p in self.folder.iterdir() if (s := self.status(p.name)) is not None]
        found.sort(key=lambda s: s.submitted_at, reverse=True)
        return found[:limit]

    def results(self, run_id: str) -> dict[str, Any] | None:
        """``results.json`` of a finished run; SVC-008 while it is not finished.

        A non-finite number (``Infinity``, which Python's json writes and JSON has
        not) is answered as that word in a string rather than failing the response."""
        status = self._finished(run_id)
        if status is None:
            return None
        data: dict[str, Any] = json.loads(
            (self.folder / run_id / "results.json").read_text(encoding="utf-8"),
            parse_constant=str,
        )
        return data

    def file(self, run_id: str, name: str) -> tuple[Path, str] | None:
        """A finished run's file and its media type (report.html, charts/prices.png, …)."""
        status = self._finished(run_id)
        if status is None or name not in status.files:
            return None
        path = self.folder / run_id / name
        return path, MEDIA_TYPES[path.suffix]

    def archive(self, run_id: str) -> tuple[str, bytes] | None:
        """A finished run's files as one zip (the report opens with its charts)."""
        status = self._finished(run_id)
        if status is None:
            return None
        top = f"{status.scenario}-{run_id[:8]}"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
            for name in status.files:
                zipped.write(self.folder / run_id / name, f"{top}/{name}")
        return f"{top}.zip", buffer.getvalue()

    def close(self) -> None:
        """Stop: queued runs are dropped, running ones stop at their next step."""
        self._stopping.set()
        with self._lock:
            pool, self._pool = self._pool, None
            for job in list(self._jobs.values()):
                if job.future is not None and job.future.cancel():
                    self._jobs.pop(job.id, None)
                    self._end(
                        job.id, "failed", Failure(code=None, reason=_stopped("before it ran"))
                    )
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- the work ----------------------------------------------------------------------

    def _simulate(self, job: _Job, loaded: Loaded, rules: list[str]) -> None:
        from clearinghouse.simulation import run

        out = self.folder / job.id
        years = len(loaded.scenario.year_list)

        def progress(done: int, total: int, note: str) -> None:
            self._interruption(job)
            step = Progress(
                done=done,
                total=total,
                stage=note,
                years_done=min(max(done - 2, 0), years),
                years=years,
            )
            self._update(job.id, progress=step)

        self._update(job.id, state="running", started_at=_now())
        progress(0, years + 2, "clearing the markets")
        data = run.simulate(
            loaded,
            out,
            rules=rules,
            progress=progress,
            store=StoreConfig(kind="sqlite", path=out / "store"),
        )
        self._end(job.id, "finished", outcome=_outcome(data))

    def _reaccount(self, job: _Job, rules: list[str]) -> None:
        from clearinghouse.simulation import run

        self._interruption(job)
        self._update(job.id, state="running", started_at=_now())
        out = self.folder / job.id
        data = run.reaccount(out, rules, store=StoreConfig(kind="sqlite", path=out / "store"))
        self._end(job.id, "finished", outcome=_outcome(data))

    def _submit(self, run_id: str, work: Callable[[_Job], None]) -> None:
        job = _Job(run_id)
        self._jobs[run_id] = job
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="simulation")
        job.future = self._pool.submit(self._guarded, job, work)

    def _guarded(self, job: _Job, work: Callable[[_Job], None]) -> None:
        """Run ``work``; whatever happens, the run ends in a state that says so."""
        try:
            work(job)
        except Interrupted as stop:
            state = "cancelled" if job.cancel.is_set() else "failed"
            self._end(job.id, state, Failure(code=None, reason=str(stop)))
        except Refused as refused:
            self._end(job.id, "failed", Failure(code=refused.code, reason=refused.reason))
        except Exception as error:  # a bug: say so in the status, keep serving
            log.exception("simulation %s failed", job.id)
            reason = f"{type(error).__name__}: {error}"
            self._end(job.id, "failed", Failure(code=None, reason=reason))
        finally:
            with self._lock:
                self._jobs.pop(job.id, None)

    def _interruption(self, job: _Job) -> None:
        if job.cancel.is_set():
            raise Interrupted("cancelled")
        if self._stopping.is_set():
            raise Interrupted(_stopped("before it finished"))

    def _room(self) -> None:
        if self._stopping.is_set():
            raise Refused(
                "SVC-007", component="the simulation service", reason="the service is stopping"
            )
        if len(self._jobs) >= self.workers + self.queue:
            raise Refused(
                "SVC-007",
                component="the simulation service",
                reason=f"{self.workers} simulation(s) are running and {self.queue} waiting "
                "(CLEARINGHOUSE_SIMULATION_WORKERS, CLEARINGHOUSE_SIMULATION_QUEUE); try "
                "again when one has finished",
            )

    # -- status files ----------------------------------------------------------------

    def _end(
        self,
        run_id: str,
        state: str,
        error: Failure | None = None,
        outcome: Outcome | None = None,
    ) -> SimulationStatus:
        changes: dict[str, Any] = {"state": state, "finished_at": _now(), "error": error}
        if outcome is not None:
            changes["outcome"] = outcome
        return self._update(run_id, **changes)

    def _update(self, run_id: str, **changes: Any) -> SimulationStatus:
        with self._lock:
            path = self.folder / run_id / STATUS
            current = SimulationStatus.model_validate_json(path.read_text(encoding="utf-8"))
            status = current.model_copy(update=changes)
            self._write(status)
            return status

    def _write(self, status: SimulationStatus) -> None:
        """Atomically: a reader sees the old status or the new one, never half."""
        path = self.folder / status.id / STATUS
        part = path.with_suffix(".part")
        part.write_text(status.model_dump_json(exclude={"files"}, indent=2), encoding="utf-8")
        os.replace(part, path)

    def _finished(self, run_id: str) -> SimulationStatus | None:
        status = self.status(run_id)
        if status is None or status.state == "finished":
            return status
        where = ""
        if status.state == "running" and status.progress is not None:
            p = status.progress
            where = f" (year {p.years_done} of {p.years} done)"
        reasons = {
            "queued": "its results are not ready yet; follow GET /simulations/{id}",
            "running": f"its results are not ready yet{where}; follow GET /simulations/{{id}}",
            "failed": f"it has no results: {status.error.reason if status.error else '?'}",
            "cancelled": "it was cancelled before it finished",
        }
        raise Refused(
            "SVC-008",
            simulation=run_id,
            state=status.state,
            reason=reasons[status.state].replace("{id}", run_id),
        )

    def _files(self, run_id: str) -> list[str]:
        base = self.folder / run_id
        return sorted(
            name
            for p in base.rglob("*")
            if p.is_file()
            and p.suffix in MEDIA_TYPES
            and (name := p.relative_to(base).as_posix()) != STATUS
            and not name.startswith("store/")
            and FILE_NAME.match(name)
        )

    def _recover(self) -> None:
        """Runs this folder's last process left queued or running did not finish."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            status = self.status(path.name)
            if status is not None and status.state in ACTIVE:
                self._end(
                    status.id, "failed", Failure(code=None, reason=_stopped("before it finished"))
                )


def _stopped(when: str) -> str:
    return f"interrupted: the service stopped {when}; start it again"


def _outcome(data: dict[str, Any]) -> Outcome:
    return Outcome(
        violations=len(data["violations"]),
        refusals=len(data["refusals"]),
        events=data["run"]["events_total"],
        seconds=data["run"]["seconds"]["total"],
    )
