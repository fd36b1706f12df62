"""What the command line saw of an environment's import or export, told to the operator
when the work stops early (Ctrl-C, a failure): full job ids, what was applied and what
was not, and the command that shows a job's status."""

from __future__ import annotations

import asyncio
import shlex

from attrs import define

from ld_segments_async import ConflictError, Export, Import, JobFailedError
from ld_segments_async.jobs import IMPORT_FAILED

from .output import describe

__all__ = ["ExportLedger", "ImportLedger", "Upload"]

_APPLIED = "complete"


@define
class Upload:
    """One upload of an import (LaunchDarkly takes at most 1,000,000 keys per file)."""

    number: int
    import_id: str
    mode: str
    status: str

    @property
    def outcome(self) -> str:
        if self.status == _APPLIED:
            return "applied"
        if self.status in IMPORT_FAILED:
            return "not applied"
        return "not finished: LaunchDarkly may still apply it"


def _interrupted(error: BaseException) -> bool:
    return isinstance(error, (asyncio.CancelledError, KeyboardInterrupt))


def _stopped(error: BaseException) -> str:
    return "was interrupted" if _interrupted(error) else f"failed ({describe(error)})"


def status_command(project: str, env: str, segment: str, job: str, job_id: str) -> str:
    words = ["ld-segments", "status", "-p", project, "-e", env, segment, f"--{job}", job_id]
    return " ".join(shlex.quote(word) for word in words)


class ImportLedger:
    """Every upload of one environment's import, as ``on_progress`` showed it."""

    def __init__(self, project: str, env: str, segment: str, mode: str) -> None:
        self.project, self.env, self.segment, self.mode = project, env, segment, mode
        self._uploads: dict[str, Upload] = {}

    def seen(self, job: Import) -> None:
        """The ``on_progress`` callback: the latest status of an upload."""
        upload = self._uploads.get(job.id)
        if upload is None:
            self._uploads[job.id] = Upload(len(self._uploads) + 1, job.id, job.mode, job.status)
        else:
            upload.status = job.status

    def uploads(self, error: BaseException | None = None) -> list[Upload]:
        """Every upload known, in order: what ``on_progress`` showed, brought up to date
        by what the library's error carries.

        This is the one place that reads the library's error about a partial import:
        when ``import_big_segment`` raises a typed error naming every file applied and
        not applied, read it here and the report below follows.
        """
        if isinstance(error, JobFailedError) and isinstance(error.job, Import):
            for job in (*error.completed, error.job):
                if isinstance(job, Import):
                    self.seen(job)
        return list(self._uploads.values())

    def report(self, error: BaseException) -> list[str]:
        """What the operator needs to know after ``error`` stopped the import: nothing
        when it failed before any upload (the summary line says it all)."""
        uploads = self.uploads(error)
        if not uploads and not _interrupted(error) and not isinstance(error, ConflictError):
            return []
        lines = [f"{self.env}: the import into {self.segment} {_stopped(error)}"]
        if isinstance(error, ConflictError) and not uploads:
            lines.append(
                "  another import is running in this environment (LaunchDarkly runs one at "
                "a time): wait for it to end; the run that started it printed its id, and "
                + status_command(self.project, self.env, self.segment, "import", "ID")
                + " --wait waits for it"
            )
            return lines
        if not uploads:
            lines.append(
                "  no upload had been acknowledged yet: nothing was applied (if one reached "
                "LaunchDarkly, a new import gets 409 until it ends)"
            )
        for upload in uploads:
            lines.append(
                f"  upload {upload.number}: import {upload.import_id} ({upload.mode}), "
                f"{upload.status}: {upload.outcome}"
            )
            if upload.outcome.startswith("not finished"):
                lines.append(
                    "    see it with: "
                    + status_command(
                        self.project, self.env, self.segment, "import", upload.import_id
                    )
                )
        if uploads:
            lines.append(f"  keys after upload {uploads[-1].number}, if any: not sent")
        if self.mode == "replace":
            lines.append(
                "  --mode replace: until an import runs to the end, the segment holds only "
                "the keys of the uploads applied; run the same import again to finish"
            )
        return lines


class ExportLedger:
    """The export of one environment, as the command saw it."""

    def __init__(self, project: str, env: str, segment: str) -> None:
        self.project, self.env, self.segment = project, env, segment
        self.export_id: str | None = None
        self.status: str | None = None

    def seen(self, job: Export) -> None:
        self.export_id, self.status = job.id, job.status

    def report(self, error: BaseException) -> list[str]:
        """What the operator needs to know after ``error`` stopped the export: nothing
        when it failed before LaunchDarkly acknowledged one."""
        if self.export_id is None and not _interrupted(error):
            return []
        lines = [f"{self.env}: the export of {self.segment} {_stopped(error)}"]
        if self.export_id is not None:
            lines.append(
                f"  export {self.export_id}, {self.status}; see it with: "
                + status_command(self.project, self.env, self.segment, "export", self.export_id)
            )
        return lines
