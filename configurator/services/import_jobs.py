"""Stock CSV imports as background jobs, so the admin can show their progress.

A job is a row (`import_job`), not only a thread: the page that polls it may be reloaded, or
served by another worker or another app server behind the proxy, and still find it. The work
runs on a thread of the worker that received the upload (`submit`): first the check (the dry
run), which ends "checked" with its plan; then, when the merchant applies it, the apply, which
writes the options and the job's "applied" in the same transaction (all or nothing, as
`inventory.import_csv` always was).

Progress (rows done / rows) is kept in this worker's memory at every chunk of rows and written
to the row, at most twice a second, whenever the database lets another transaction write
meanwhile: always on PostgreSQL, but not on SQLite while the apply holds the write lock. Then
other workers see "Applying" with the count it started from, and this worker the live count.

A job waiting for one of this worker's IMPORT_THREADS touches its row every TOUCH_EVERY, so
that no other worker takes it for stopped. A job whose worker died (a restart, a crash) stops
moving: once its row has not moved for STALE_AFTER it reads as failed, with nothing written
(the apply's transaction never committed), and housekeeping (`prune`) records that and
deletes finished jobs after KEPT.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, delete, select

from configurator.core.stock_csv import FieldChange, FileRefused, ImportPlan, RowError, rows_in
from configurator.services import inventory
from configurator.store.db import new_session, unit_of_work
from configurator.store.models import ImportJob, utcnow

CHECKING = "checking"
CHECKED = "checked"
APPLYING = "applying"
APPLIED = "applied"
FAILED = "failed"
RUNNING = (CHECKING, APPLYING)

STALE_AFTER = {CHECKING: timedelta(minutes=5), APPLYING: timedelta(minutes=30)}
"""How long a running job's row may stay still before it counts as stopped. A check writes
its progress every few hundred rows; an apply on SQLite cannot until it commits (4 MB of rows
under load take minutes), so it gets longer."""
KEPT = timedelta(days=1)
"""Finished jobs (and their files) are deleted after this."""
WRITE_EVERY = 0.5
"""Seconds between two writes of the progress to the job's row."""

STOPPED = (
    "The import stopped before it finished (the server was restarted or stopped while it "
    "ran). Nothing was written. Check the file again."
)
BROKE = (
    "The import failed because of an unexpected error. Nothing was written. Check the file "
    "again; if it happens again, the server's log says more."
)
BUSY = "The database was too busy to finish the import. Nothing was written. Try again in a minute."

log = logging.getLogger(__name__)


class JobNotFound(LookupError):
    """No such job, or another merchant's."""


class ApplyRefused(ValueError):
    """The job cannot be applied (still checking, has errors, nothing to change, applied)."""


# What the page shows -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShownChange:
    row: int
    label: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class ShownPlan:
    """An `ImportPlan` as the result page shows it (and the job row keeps it, as JSON)."""

    rows: int
    changes: tuple[ShownChange, ...]
    unchanged: tuple[tuple[int, str], ...]
    errors: tuple[RowError, ...]
    ignored_columns: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def of(cls, plan: ImportPlan) -> ShownPlan:
        return cls(
            rows=plan.rows,
            changes=tuple(ShownChange(c.row, c.before.label, c.changes) for c in plan.changes),
            unchanged=plan.unchanged,
            errors=plan.errors,
            ignored_columns=plan.ignored_columns,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "rows": self.rows,
                "changes": [
                    [c.row, c.label, [[f.column, f.old, f.new] for f in c.changes]]
                    for c in self.changes
                ],
                "unchanged": [list(u) for u in self.unchanged],
                "errors": [[e.row, e.column, e.message] for e in self.errors],
                "ignored_columns": list(self.ignored_columns),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ShownPlan:
        data: dict[str, Any] = json.loads(text)
        return cls(
            rows=int(data["rows"]),
            changes=tuple(
                ShownChange(int(row), str(label), tuple(FieldChange(*f) for f in fields))
                for row, label, fields in data["changes"]
            ),
            unchanged=tuple((int(row), str(label)) for row, label in data["unchanged"]),
            errors=tuple(RowError(int(r), str(c), str(m)) for r, c, m in data["errors"]),
            ignored_columns=tuple(str(c) for c in data["ignored_columns"]),
        )


@dataclass(frozen=True, slots=True)
class JobView:
    """A job as its merchant sees it."""

    id: str
    filename: str
    status: str
    done: int
    total: int
    plan: ShownPlan | None
    error: str

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def progress_label(self) -> str:
        if self.status == CHECKING:
            return f"Checking row {self.done:,} of {self.total:,}"
        if self.done >= self.total:
            return f"Saving {self.total:,} change(s)…"
        return f"Applying change {self.done:,} of {self.total:,}"


# Progress of the jobs this worker runs --------------------------------------------------

_LIVE: dict[str, tuple[int, int]] = {}
_LIVE_LOCK = threading.Lock()
IMPORT_THREADS = 2
"""Jobs of this worker that run at once; the others wait for one of them to end."""
_SLOTS = threading.BoundedSemaphore(IMPORT_THREADS)
TOUCH_EVERY = 60.0
"""Seconds between two touches of a waiting job's row (well within STALE_AFTER): another
worker's `prune` sees it move and does not take it for one whose worker stopped."""


def _live(job_id: str) -> tuple[int, int] | None:
    with _LIVE_LOCK:
        return _LIVE.get(job_id)


def _set_live(job_id: str, done: int, total: int) -> None:
    with _LIVE_LOCK:
        _LIVE[job_id] = (done, total)


def _end_live(job_id: str) -> None:
    with _LIVE_LOCK:
        _LIVE.pop(job_id, None)


class _Reporter:
    """The `progress` an import is given: this worker's memory at every call, the job's row
    at most every WRITE_EVERY seconds (and not at all when `to_row` is off)."""

    def __init__(self, engine: Engine, job_id: str, status: str, *, to_row: bool) -> None:
        self.engine, self.job_id, self.status, self.to_row = engine, job_id, status, to_row
        self.written = 0.0

    def __call__(self, done: int, total: int) -> None:
        _set_live(self.job_id, done, total)
        now = time.monotonic()
        if not self.to_row or (now - self.written < WRITE_EVERY and done < total):
            return
        self.written = now
        _finish(self.engine, self.job_id, self.status, done=done, total=total)


# Use cases -----------------------------------------------------------------------------


def start_check(session: Session, *, owner: str, filename: str, content: bytes) -> str:
    """A new job that checks `content`; its id. Raises FileRefused at once (no job) when the
    file cannot be read as a stock CSV at all."""
    total = rows_in(content)
    job_id = secrets.token_urlsafe(18)
    with unit_of_work(session, write=True):
        session.add(
            ImportJob(
                id=job_id,
                owner=owner,
                filename=filename,
                content=content,
                status=CHECKING,
                total=total,
            )
        )
    return job_id


_FILE: Any = ImportJob.content
"""The job's stored file, as a column to leave unread (`defer`)."""


def _owned(session: Session, job_id: str, owner: str) -> ImportJob:
    if len(job_id) > 32 or not owner:
        raise JobNotFound(job_id)
    # The file (up to 4 MB) is not read to look at the job: the page polls twice a second.
    job = session.get(ImportJob, job_id, options=[defer(_FILE)])
    if job is None or job.owner != owner:
        raise JobNotFound(job_id)
    return job


def start_apply(session: Session, job_id: str, *, owner: str) -> None:
    """Let a checked job go on to apply its file. Only a check without errors that changes
    something can be applied, and only once (a conditional update: a double click or a second
    tab starts one apply)."""
    with unit_of_work(session, write=True):
        job = _owned(session, job_id, owner)
        plan = ShownPlan.from_json(job.result) if job.result else None
        if job.status != CHECKED or plan is None or not plan.ok or not plan.changes:
            raise ApplyRefused("This import cannot be applied (any more). Check the file again.")
        claimed = session.execute(
            update(ImportJob)
            .where(col(ImportJob.id) == job_id, col(ImportJob.status) == CHECKED)
            .values(status=APPLYING, done=0, total=len(plan.changes), updated_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise ApplyRefused("This import is being applied already.")


def _stale(job: ImportJob, now: datetime) -> bool:
    if job.status not in RUNNING or _live(job.id) is not None:
        return False
    updated = job.updated_at if job.updated_at.tzinfo else job.updated_at.replace(tzinfo=now.tzinfo)
    return now - updated > STALE_AFTER[job.status]


def job_view(session: Session, job_id: str, *, owner: str, now: datetime | None = None) -> JobView:
    """The job as its merchant sees it now; JobNotFound for anyone else."""
    with unit_of_work(session):
        job = _owned(session, job_id, owner)
        live = _live(job_id) if job.status in RUNNING else None
        done, total = live if live else (job.done, job.total)
        stopped = _stale(job, now or utcnow())
        return JobView(
            id=job.id,
            filename=job.filename,
            status=FAILED if stopped else job.status,
            done=done,
            total=total,
            plan=ShownPlan.from_json(job.result) if job.result else None,
            error=STOPPED if stopped else job.error,
        )


def _finish(engine: Engine, job_id: str, was: str, **values: Any) -> None:
    with new_session(engine) as session, unit_of_work(session, write=True):
        session.execute(
            update(ImportJob)
            .where(col(ImportJob.id) == job_id, col(ImportJob.status) == was)
            .values(updated_at=utcnow(), **values)
        )


def _check(engine: Engine, session: Session, job: ImportJob) -> None:
    progress = _Reporter(engine, job.id, CHECKING, to_row=True)
    plan = inventory.import_csv(session, job.content, job.filename, apply=False, progress=progress)
    _finish(
        engine,
        job.id,
        CHECKING,
        status=CHECKED,
        done=plan.rows,
        total=plan.rows,
        result=ShownPlan.of(plan).to_json(),
    )


def _apply(engine: Engine, session: Session, job: ImportJob) -> None:
    """The options and the job's "applied" in one transaction."""
    progress = _Reporter(engine, job.id, APPLYING, to_row=engine.dialect.name != "sqlite")
    try:
        with unit_of_work(session, write=True):
            plan = inventory.import_csv(
                session,
                job.content,
                job.filename,
                apply=True,
                username=job.owner,
                progress=progress,
            )
            done = session.execute(
                update(ImportJob)
                .where(col(ImportJob.id) == job.id, col(ImportJob.status) == APPLYING)
                .values(
                    status=APPLIED,
                    done=len(plan.changes),
                    total=len(plan.changes),
                    result=ShownPlan.of(plan).to_json(),
                    content=b"",
                    updated_at=utcnow(),
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise RuntimeError("the job was marked stopped while it was applied")
    except inventory.ImportRefused as refused:
        # The options changed since the check: the page shows the new errors, nothing written.
        _finish(
            engine, job.id, APPLYING, status=CHECKED, result=ShownPlan.of(refused.plan).to_json()
        )
    except inventory.QuantityMoved as moved:
        # A checkout sold one of the options between the read and the write: nothing written.
        _finish(
            engine,
            job.id,
            APPLYING,
            status=FAILED,
            error=f"{moved} Nothing was written. Check the file again.",
        )


def run(engine: Engine, job_id: str) -> None:
    """Do what the job waits for (its check, or its apply) and record how it ended."""
    status = ""
    try:
        with new_session(engine) as session:
            with unit_of_work(session):
                job = session.get(ImportJob, job_id)
                if job is None or job.status not in RUNNING:
                    return
                status = job.status
            (_check if status == CHECKING else _apply)(engine, session, job)
    except Exception as exc:
        log.exception("stock import %s failed while %s", job_id, status or "starting")
        busy = isinstance(exc, OperationalError) and "lock" in str(exc).lower()
        error = str(exc) if isinstance(exc, FileRefused) else BUSY if busy else BROKE
        try:
            _finish(engine, job_id, status, status=FAILED, error=error)
        except Exception:
            log.exception("could not record that stock import %s failed", job_id)
    finally:
        _end_live(job_id)


def _touch(engine: Engine, job_id: str) -> None:
    """Tell other workers that this waiting job's worker is alive (see TOUCH_EVERY)."""
    try:
        with new_session(engine) as session, unit_of_work(session, write=True):
            session.execute(
                update(ImportJob)
                .where(col(ImportJob.id) == job_id, col(ImportJob.status).in_(RUNNING))
                .values(updated_at=utcnow())
            )
    except Exception:
        log.exception("could not touch waiting stock import %s", job_id)


def _wait_then_run(engine: Engine, job_id: str, runner: Callable[[Engine, str], None]) -> None:
    while not _SLOTS.acquire(timeout=TOUCH_EVERY):
        _touch(engine, job_id)
    try:
        runner(engine, job_id)
    finally:
        _SLOTS.release()


def submit(engine: Engine, job_id: str, *, runner: Callable[[Engine, str], None] = run) -> None:
    """Run the job on a thread of its own once fewer than IMPORT_THREADS of this worker's jobs
    run; while it waits, it touches its row every TOUCH_EVERY seconds."""
    _set_live(job_id, 0, 0)  # queued: not stale for this worker while it waits
    threading.Thread(
        target=_wait_then_run, args=(engine, job_id, runner), name=f"stock-import-{job_id[:8]}"
    ).start()


def prune(engine: Engine, *, now: datetime | None = None) -> int:
    """Record jobs whose worker stopped as failed, and delete finished jobs older than KEPT.
    Returns how many were deleted."""
    now = now or utcnow()
    with new_session(engine) as session, unit_of_work(session, write=True):
        running = session.exec(
            select(ImportJob)
            .where(col(ImportJob.status).in_(RUNNING))
            .options(defer(_FILE))  # the stored files (up to 4 MB each) are not needed here
        ).all()
        for job in running:
            if _stale(job, now):
                session.execute(
                    update(ImportJob)
                    .where(col(ImportJob.id) == job.id, col(ImportJob.status) == job.status)
                    .values(status=FAILED, error=STOPPED, content=b"", updated_at=now)
                )
        gone = session.execute(
            delete(ImportJob).where(
                col(ImportJob.status).not_in(RUNNING), col(ImportJob.updated_at) < now - KEPT
            )
        )
    return int(gone.rowcount)  # type: ignore[attr-defined]
