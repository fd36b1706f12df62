"""Big-segment import and export jobs, which move one status step per poll."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .csv_keys import csv_chunks
from .paths import encode_segment
from .store import Store

FINISHED = frozenset({"complete", "stopped"})


@dataclass(eq=False)
class ImportJob:
    """One CSV import: ``preparing`` -> [``pending_approval`` -> ``ready`` ->]
    ``in_progress`` -> ``complete`` | ``stopped``."""

    id: str
    project_key: str
    environment_key: str
    segment_key: str
    mode: str
    wait_on_approvals: bool
    filename: str
    creation_time: int
    keys: list[str] = field(default_factory=list, repr=False)
    status: str = "preparing"
    polls: int = field(default=0, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def href(self) -> str:
        return _job_href(
            self.project_key, self.environment_key, self.segment_key, "imports", self.id
        )

    def render(self) -> dict[str, Any]:
        """The ``Import`` JSON."""
        return {
            "id": self.id,
            "segmentKey": self.segment_key,
            "creationTime": self.creation_time,
            "mode": self.mode,
            "status": self.status,
            "files": [{"filename": self.filename, "status": self.status}],
            "_links": {"self": {"href": self.href(), "type": "application/json"}},
        }


@dataclass(eq=False)
class ExportJob:
    """One export: ``preparing`` -> ``in_progress`` -> ``complete`` | ``stopped``.

    The keys are taken when the job completes and served until the fake closes.
    """

    id: str
    project_key: str
    environment_key: str
    segment_key: str
    creation_time: int
    token: str = field(repr=False)
    status: str = "preparing"
    polls: int = field(default=0, repr=False)
    keys: list[str] | None = field(default=None, repr=False)
    size_bytes: int = 0

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def href(self) -> str:
        return _job_href(
            self.project_key, self.environment_key, self.segment_key, "exports", self.id
        )

    def render(self, file_href: str | None) -> dict[str, Any]:
        """The ``Export`` JSON; ``file_href`` is the absolute download URL once complete."""
        links = {"self": {"href": self.href(), "type": "application/json"}}
        if file_href is not None:
            # LaunchDarkly does not document this key; clients should find the link by type.
            links["download"] = {"href": file_href, "type": "text/csv"}
        return {
            "id": self.id,
            "segmentKey": self.segment_key,
            "creationTime": self.creation_time,
            "status": self.status,
            "sizeBytes": self.size_bytes,
            "size": human_size(self.size_bytes),
            "initiator": {"name": "Fake Member", "email": "fake-member@example.com"},
            "_links": links,
        }


def counts_as_step(job: ImportJob | ExportJob, polls_per_status: int) -> bool:
    """Record one poll; true when enough polls have passed to move one status on."""
    job.polls += 1
    if job.polls < max(polls_per_status, 1):
        return False
    job.polls = 0
    return True


def advance_import(store: Store, job: ImportJob, outcome: str) -> None:
    """Move ``job`` one step; approval states wait for an explicit action instead."""
    if job.status == "preparing":
        job.status = "pending_approval" if job.wait_on_approvals else "in_progress"
    elif job.status == "in_progress":
        _finish_import(store, job, outcome)


def _finish_import(store: Store, job: ImportJob, outcome: str) -> None:
    environment = store.projects[job.project_key].environments[job.environment_key]
    segment = environment.segments.get(job.segment_key)
    if outcome == "complete" and segment is not None:
        keys = set(job.keys)
        if job.mode == "replace":
            segment.big_included = keys
        else:
            segment.big_included |= keys
        # An imported key is included, so it can no longer be excluded as well.
        segment.big_excluded -= keys
        segment.prune_expiring()
        store.side_effects["apply_import"] += 1
        job.status = "complete"
    else:
        job.status = "stopped"
    job.keys = []
    if environment.running_import is job:
        environment.running_import = None


def advance_export(store: Store, job: ExportJob, outcome: str) -> None:
    """Move ``job`` one step; completing it snapshots the segment's included keys."""
    if job.status == "preparing":
        job.status = "in_progress"
    elif job.status == "in_progress":
        environment = store.projects[job.project_key].environments[job.environment_key]
        segment = environment.segments.get(job.segment_key)
        if outcome != "complete" or segment is None:
            job.status = "stopped"
            return
        job.keys = list(segment.big_included)
        job.size_bytes = sum(map(len, csv_chunks(job.keys)))
        job.status = "complete"


def human_size(size: int) -> str:
    """``18 B``, ``1.2 MB``, ``83 MB``: decimal units, one decimal below ten."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    if unit == "B":
        return f"{size} B"
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def _job_href(project: str, environment: str, segment: str, kind: str, job_id: str) -> str:
    keys = "/".join(map(encode_segment, (project, environment, segment)))
    return f"/api/v2/segments/{keys}/{kind}/{job_id}"
