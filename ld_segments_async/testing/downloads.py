"""Export files: served by the API host, or by a second origin like a pre-signed URL.

The second origin behaves like an object store: it wants its ``signature`` query
parameter, answers XML errors, and rejects (400) any request that carries an
``Authorization`` header, as S3 does when a pre-signed URL also gets a token.
"""

from __future__ import annotations

from collections.abc import Mapping

from .call import Call
from .csv_keys import csv_chunks
from .jobs import ExportJob
from .paths import Template
from .replies import Reply, empty_reply, not_found
from .store import Store

API_TEMPLATE = Template("/downloads/exports/{fileName}")
HOST_TEMPLATE = Template("/exports/{fileName}")
_XML_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>{code}</Code><Message>{message}</Message></Error>"
)


def export_file_url(
    api_origin: str, download_origin: str | None, redirect: bool, job: ExportJob
) -> str:
    """The absolute URL an export links to: the download host's pre-signed URL when
    there is one and downloads are not redirected, else the API host's."""
    if download_origin is not None and not redirect:
        return presigned_url(download_origin, job)
    return f"{api_origin}/downloads/exports/{job.id}.csv"


def presigned_url(download_origin: str, job: ExportJob) -> str:
    """The file's absolute URL on the download host, signature included."""
    return f"{download_origin}/exports/{job.id}.csv?signature={job.token}"


def _finished_export(store: Store, file_name: str) -> ExportJob | None:
    job = store.exports.get(file_name.removesuffix(".csv"))
    if job is None or job.status != "complete" or job.keys is None:
        return None
    return job


def file_reply(job: ExportJob) -> Reply:
    """The CSV (no header, one key per line), streamed in chunks."""
    assert job.keys is not None
    disposition = f'attachment; filename="segment-export-{job.id}.csv"'
    return Reply(
        200,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
        chunks=csv_chunks(job.keys),
        length=job.size_bytes,
    )


async def download_from_api(call: Call) -> Reply:
    """``GET /downloads/exports/{id}.csv`` on the API host; a 302 to the other origin
    when the fake redirects downloads."""
    job = _finished_export(call.store, call.params["fileName"])
    if job is None:
        raise not_found("No finished export file by that name")
    origin = call.fake.download_url
    if call.fake.redirect_downloads and origin is not None:
        return empty_reply(302, {"Location": presigned_url(origin, job)})
    return file_reply(job)


def download_from_host(store: Store, raw_path: str, query: Mapping[str, str], auth: bool) -> Reply:
    """A request to the download host, already split into path and query."""
    if auth:
        return _xml(400, "InvalidArgument", "Only one auth mechanism allowed")
    params = HOST_TEMPLATE.match(raw_path.split("/")[1:])
    job = _finished_export(store, params["fileName"]) if params else None
    if job is None:
        return _xml(404, "NoSuchKey", "The specified key does not exist.")
    if query.get("signature") != job.token:
        return _xml(403, "SignatureDoesNotMatch", "The request signature does not match.")
    return file_reply(job)


def _xml(status: int, code: str, message: str) -> Reply:
    body = _XML_ERROR.format(code=code, message=message).encode()
    return Reply(status, body, "application/xml")
