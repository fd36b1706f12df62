"""The exception tree. Every error the client raises is a :class:`LaunchDarklyError`.

Messages name the HTTP method and path of the failed call and never credentials:
request headers are not kept on any exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._imports import ImportPart
    from .models import Export, Import
    from .reconcile import SyncReport

__all__ = [
    "ApiError",
    "BadRequestError",
    "ConflictError",
    "DecodeError",
    "ForbiddenError",
    "ImportIncompleteError",
    "ImportStoppedError",
    "ImportTimeoutError",
    "JobFailedError",
    "JobTimeoutError",
    "LaunchDarklyError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PartialPatchError",
    "RateLimitedError",
    "RedirectError",
    "RequestTimeoutError",
    "ServerError",
    "SyncIncompleteError",
    "TransportError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "error_for_status",
]


class LaunchDarklyError(Exception):
    """Base class of every error raised by ``ld_segments_async``."""


class ApiError(LaunchDarklyError):
    """LaunchDarkly answered with an error status.

    Attributes:
        status: the HTTP status code.
        code: LaunchDarkly's error code (``"not_found"``, ``"key_exists"``...), or ``None``
            when the body was not LaunchDarkly's JSON error (an HTML page from a proxy).
        message: LaunchDarkly's message, or a description of the unexpected body.
        request_id: the body's ``id``, to quote to LaunchDarkly support.
        headers: the response headers.
        method: the HTTP method of the failed request.
        path: the request path (never the query string, never headers).
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        label = f"{self.status} {self.code}" if self.code else str(self.status)
        where = f" ({self.method} {self.path})" if self.method else ""
        request = f" [request id {self.request_id}]" if self.request_id else ""
        return f"{label}: {self.message}{where}{request}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling.
        return (_rebuild_api_error, (type(self), {**self.__dict__, "headers": dict(self.headers)}))


def _rebuild_api_error(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error


class BadRequestError(ApiError):
    """400: the request could not be understood (bad body, bad filter, bad patch)."""


class UnauthorizedError(ApiError):
    """401: the access token is missing, invalid or lacks permission."""


class ForbiddenError(ApiError):
    """403: the token may not access this resource (or a beta API was called without
    ``LD-API-Version: beta``)."""


class NotFoundError(ApiError):
    """404: the project, environment, segment or job does not exist."""


class MethodNotAllowedError(ApiError):
    """405: the HTTP method is not allowed on this resource."""


class ConflictError(ApiError):
    """409: the change conflicts with another (duplicate key, optimistic lock, an import
    already running in the environment). Never retried automatically."""


class UnprocessableEntityError(ApiError):
    """422: the patch document could not be understood."""


class RateLimitedError(ApiError):
    """429: LaunchDarkly's rate limit was hit and retries did not get past it.

    Attributes:
        retry_after: seconds LaunchDarkly asked to wait (from ``Retry-After`` or
            ``X-Ratelimit-Reset``), or ``None`` when the response said nothing.
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status, code, message, request_id, headers, method=method, path=path)

    def _describe(self) -> str:
        text = super()._describe()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:.1f}s)"
        return text


class ServerError(ApiError):
    """5xx: LaunchDarkly (or a proxy in front of it) failed."""


class RedirectError(ApiError):
    """3xx: the API answered with a redirect (often a proxy's login page). LaunchDarkly's
    API never redirects its calls, so one is never followed, never taken for success and
    never a source of job ids.

    Attributes:
        location: the ``Location`` header (``None`` if absent).
    """

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


_ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitedError,
}


def error_for_status(status: int) -> type[ApiError]:
    """The :class:`ApiError` subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    if 300 <= status < 400:
        return RedirectError
    return _ERRORS_BY_STATUS.get(status, ApiError)


class TransportError(LaunchDarklyError):
    """The request did not get an HTTP answer: connection refused or dropped, TLS failure,
    timeout.

    Attributes:
        method: the HTTP method.
        path: the request path.
        request_sent: ``False`` when the failure happened before anything reached the
            server (connection refused, DNS, TLS handshake): such requests are safe to
            retry whatever the method.
    """

    def __init__(self, reason: str, *, method: str, path: str, request_sent: bool) -> None:
        self.reason = reason
        self.method = method
        self.path = path
        self.request_sent = request_sent
        super().__init__(f"{reason} ({method} {path})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_transport_error,
            (type(self), self.reason, self.method, self.path, self.request_sent),
        )


def _rebuild_transport_error(
    cls: type[TransportError], reason: str, method: str, path: str, request_sent: bool
) -> TransportError:
    return cls(reason, method=method, path=path, request_sent=request_sent)


class RequestTimeoutError(TransportError):
    """A connect or read timeout, or the call's total time budget, ran out."""


class DecodeError(LaunchDarklyError):
    """A response body was not what the spec says: not JSON, too large, cut short, or not
    the expected shape.

    Attributes:
        status: the HTTP status of the response (0 if none was read).
        body_excerpt: the first bytes of the body, for diagnosis.
        method: the HTTP method of the request.
        path: the request path.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        body: bytes = b"",
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.body_excerpt = bytes(body[:200])
        self.method = method
        self.path = path
        self.reason = message
        where = f" ({method} {path}" + (f", status {status})" if status else ")") if method else ""
        super().__init__(message + where)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_decode_error, (type(self), dict(self.__dict__)))


def _rebuild_decode_error(cls: type[DecodeError], state: dict[str, Any]) -> DecodeError:
    error = cls(
        state["reason"],
        status=state["status"],
        body=state["body_excerpt"],
        method=state["method"],
        path=state["path"],
    )
    error.__dict__.update(state)
    return error


class _PicklableByState(Exception):
    """Pickles by instance state: ``__init__`` signatures here do not take ``args``."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> Exception:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class JobFailedError(_PicklableByState, LaunchDarklyError):
    """A big-segment import or export ended in a failure status (``stopped``...).

    Attributes:
        job: the last :class:`~ld_segments_async.models.Import` or
            :class:`~ld_segments_async.models.Export` seen.
        status: its status.
        completed: for ``import_big_segment``, the uploads applied before this one.
    """

    def __init__(self, job: Import | Export, *, completed: Sequence[Import] = ()) -> None:
        self.job = job
        self.status = job.status
        self.completed = list(completed)
        kind = type(job).__name__.lower()
        text = f"big segment {kind} {job.id} ended with status {job.status!r}"
        if self.completed:
            text += (
                f" after {len(self.completed)} earlier upload(s) completed; "
                "keys after the failed upload were not sent"
            )
        super().__init__(text)


class JobTimeoutError(_PicklableByState, LaunchDarklyError):
    """Waiting for a big-segment import or export ran past its timeout.

    Attributes:
        job: the last job model seen (``None`` if no poll answered in time).
        job_id: the import or export id, to look the job up later.
        status: its status (``None`` likewise).
    """

    def __init__(self, job: Import | Export | None, timeout: float, job_id: str) -> None:
        self.job = job
        self.job_id = job_id
        self.status = job.status if job is not None else None
        self.timeout = timeout
        super().__init__(f"big segment job {job_id} still {self.status!r} after {timeout:g}s")


class PartialPatchError(_PicklableByState, LaunchDarklyError):
    """An expiring-targets patch was accepted but some instructions failed.

    Attributes:
        result: the full response (successful changes are already applied).
        errors: the failed instructions, each with ``instruction_index`` and ``message``.
    """

    def __init__(self, result: Any, errors: Sequence[Any]) -> None:
        self.result = result
        self.errors = list(errors)
        details = "; ".join(f"#{e.instruction_index}: {e.message}" for e in self.errors)
        super().__init__(f"{len(self.errors)} instruction(s) failed: {details}")


class ImportIncompleteError(_PicklableByState, LaunchDarklyError):
    """``import_big_segment`` failed after LaunchDarkly was (or may have been) sent keys:
    the segment may hold some of them. It says exactly which files were applied.

    Raised in every mode. When nothing can have changed (the first upload was refused,
    or never reached LaunchDarkly), ``import_big_segment`` raises the plain error
    instead. A stopped upload raises :class:`ImportStoppedError` (also a
    :class:`JobFailedError`), a timeout :class:`ImportTimeoutError` (also a
    :class:`JobTimeoutError`).

    Attributes:
        parts: one :class:`~ld_segments_async.ImportPart` per file of the import, in
            order: its keys (``first_key``, ``last_key``), ``mode``, ``state``
            (``"applied"``, ``"stopped"``, ``"pending"``, ``"unknown"``, ``"refused"``,
            ``"not_sent"``), ``import_id`` and last ``job`` seen.
        error: what stopped the import (also ``__cause__``).
    """

    def __init__(self, parts: Sequence[ImportPart], error: BaseException) -> None:
        self.parts = list(parts)
        self.error = error
        Exception.__init__(self, _describe_import(self.parts, error))

    @property
    def applied(self) -> list[ImportPart]:
        """The files LaunchDarkly applied."""
        return [part for part in self.parts if part.state == "applied"]

    @property
    def not_applied(self) -> list[ImportPart]:
        """Every other file: see each one's ``state`` (``"pending"`` and ``"unknown"``
        ones may still be applied by LaunchDarkly)."""
        return [part for part in self.parts if part.state != "applied"]


class ImportStoppedError(ImportIncompleteError, JobFailedError):
    """An upload of ``import_big_segment`` ended ``stopped``: ``job`` and ``status`` are
    that upload's, ``completed`` the uploads applied before it."""

    def __init__(self, parts: Sequence[ImportPart], error: JobFailedError) -> None:
        self.job = error.job
        self.status = error.status
        self.completed = [
            part.job for part in parts if part.state == "applied" and part.job is not None
        ]
        ImportIncompleteError.__init__(self, parts, error)


class ImportTimeoutError(ImportIncompleteError, JobTimeoutError):
    """``import_big_segment`` ran past its ``timeout``: ``job``, ``job_id`` and ``status``
    are those of the last upload (which may still complete)."""

    def __init__(self, parts: Sequence[ImportPart], error: JobTimeoutError) -> None:
        self.job = error.job
        self.job_id = error.job_id
        self.status = error.status
        self.timeout = error.timeout
        ImportIncompleteError.__init__(self, parts, error)


_PART_STATES = {
    "applied": "applied",
    "stopped": "stopped",
    "pending": "not finished (it may still be applied)",
    "unknown": "sent without an answer (it may have been applied)",
    "refused": "refused",
    "not_sent": "not sent",
}


def _describe_import(parts: Sequence[ImportPart], error: BaseException) -> str:
    files = "; ".join(
        f"file {part.index + 1} (keys {part.first_key:,}-{part.last_key:,}, {part.mode}) "
        f"{_PART_STATES.get(part.state, part.state)}"
        + (f" [import {part.import_id}]" if part.import_id else "")
        for part in parts
    )
    return f"big segment import incomplete: {files}; because: {error}"


class SyncIncompleteError(_PicklableByState, LaunchDarklyError):
    """``sync_big_segment`` or ``sync_segment_targets`` failed once it may have changed
    the segment: ``report`` says exactly what was applied.

    When nothing can have changed (the first write refused, or never sent) the plain
    error is raised instead; running the same sync again finishes the work either way.

    Attributes:
        report: the :class:`~ld_segments_async.SyncReport` (``complete`` false): the
            difference found, and per request its ``batches`` (``state`` ``"applied"``,
            ``"refused"``, ``"unknown"``, ``"not_sent"``) or the ``import_parts`` of its
            replace import.
        error: what stopped the sync (also ``__cause__``).
    """

    def __init__(self, report: SyncReport, error: BaseException) -> None:
        self.report = report
        self.error = error
        Exception.__init__(self, _describe_sync(report, error))


def _describe_sync(report: SyncReport, error: BaseException) -> str:
    if report.method == "import":
        return f"segment sync incomplete, by a replace import: {error}"
    states: dict[str, list[int]] = {}
    for batch in report.batches:
        states.setdefault(batch.state, []).append(batch.index + 1)
    told = "; ".join(
        f"{_requests(numbers)} {_PART_STATES.get(state, state)}"
        for state, numbers in states.items()
    )
    return (
        f"segment sync incomplete: {told} (applied: added {report.applied_added:,} of "
        f"{report.added:,}, removed {report.applied_removed:,} of {report.removed:,}); "
        f"the rest not sent; because: {error}"
    )


def _requests(numbers: list[int]) -> str:
    """``request 4``, ``requests 1-3, 5``."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and spans[-1][1] == number - 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)
    return f"request{'s' if len(numbers) > 1 else ''} {text}"
