"""Big-segment imports (multipart CSV uploads) and exports."""

from __future__ import annotations

from typing import TypeVar

from .call import Call
from .downloads import export_file_url
from .ids import now_ms
from .jobs import ExportJob, ImportJob, advance_export, advance_import, counts_as_step
from .replies import ApiError, Reply, bad_request, empty_reply, json_reply, not_found
from .segment import Segment
from .uploads import read_import_form

Job = TypeVar("Job", ImportJob, ExportJob)


def _big_segment(call: Call, *, list_based: bool) -> Segment:
    # Synced segments export too, but their members come from the external source.
    segment = call.segment()
    if not segment.unbounded or (list_based and "_external" in segment.doc):
        kind = "big list-based" if list_based else "big"
        raise bad_request(f"Only {kind} segments support this operation")
    return segment


async def create_import(call: Call) -> Reply:
    """``POST .../imports``: stream the CSV, answer 204 with ``Location``.

    Raises:
        ApiError: 400 for a bad form, mode or file (over 1,000,000 keys or 40 MiB); 409
            ``conflict`` while another import of the environment is unfinished.
    """
    environment = call.environment()
    segment = _big_segment(call, list_based=True)
    if environment.running_import is not None:
        raise ApiError(409, "Conflicting process: another import is running in this environment")
    job = ImportJob(
        id=call.store.ids.uuid(),
        project_key=call.params["projectKey"],
        environment_key=environment.key,
        segment_key=segment.key,
        mode="merge",
        wait_on_approvals=False,
        filename="import.csv",
        creation_time=now_ms(),
    )
    # Hold the environment while the upload streams in, so a second import gets its 409.
    environment.running_import = job
    try:
        form = await read_import_form(call.request, call.upload_head)
    finally:
        environment.running_import = None
    if form.keys is None:
        raise bad_request("The form has no file part")
    job.mode, job.wait_on_approvals = form.mode, form.wait_on_approvals
    job.filename, job.keys = form.filename, form.keys
    environment.running_import = job
    call.store.imports[job.id] = job
    call.store.side_effects["create_import"] += 1
    return empty_reply(204, {"Location": job.href()})


def _job(call: Call, jobs: dict[str, Job], id_param: str) -> Job:
    call.segment()
    p = call.params
    job = jobs.get(p[id_param])
    if job is None or (job.project_key, job.environment_key, job.segment_key) != (
        p["projectKey"],
        p["environmentKey"],
        p["segmentKey"],
    ):
        raise not_found(f"Unknown job {p[id_param]!r} for this segment")
    return job


async def get_import(call: Call) -> Reply:
    """``GET .../imports/{importID}``: one status step per ``job_polls_per_status`` polls."""
    job = _job(call, call.store.imports, "importID")
    if counts_as_step(job, call.fake.job_polls_per_status):
        advance_import(call.store, job, call.fake.import_outcome)
    return json_reply(200, job.render())


async def create_export(call: Call) -> Reply:
    """``POST .../exports``: 200 with no body and ``Location`` (any big segment)."""
    segment = _big_segment(call, list_based=False)
    job = ExportJob(
        id=call.store.ids.uuid(),
        project_key=segment.project_key,
        environment_key=segment.environment_key,
        segment_key=segment.key,
        creation_time=now_ms(),
        token=call.store.ids.hex(32),
    )
    call.store.exports[job.id] = job
    call.store.side_effects["create_export"] += 1
    return empty_reply(200, {"Location": job.href()})


async def get_export(call: Call) -> Reply:
    """``GET .../exports/{exportID}``; once complete it links the CSV file."""
    job = _job(call, call.store.exports, "exportID")
    if counts_as_step(job, call.fake.job_polls_per_status):
        advance_export(call.store, job, call.fake.export_outcome)
    file_url = None
    if job.status == "complete":
        fake = call.fake
        file_url = export_file_url(fake.url, fake.download_url, fake.redirect_downloads, job)
    return json_reply(200, job.render(file_url))
