"""What the parts of :class:`~ld_segments_async.SegmentsClient` share: the transport,
the policies of this client or view, and the one way an operation is performed."""

from __future__ import annotations

from typing import TypeVar

from ._exchange import Response
from ._operations import Operation
from ._transport import Transport
from .config import RetryPolicy, Timeout

__all__ = ["ClientBase"]

T = TypeVar("T")


class ClientBase:
    """The state of a client or view; the walks (:mod:`._walks`), the big-segment jobs
    (:mod:`._big_segment_jobs`) and the operations (:mod:`.client`) build on it."""

    _transport: Transport
    _retry: RetryPolicy
    _timeout: Timeout
    _is_view: bool
    _answers: list[Response] | None
    """A raw-response twin keeps the answers it gets here (see :mod:`._raw`)."""

    async def _perform(self, operation: Operation[T]) -> T:
        response = await self._transport.request(
            operation.request, retry=self._retry, timeout=self._timeout
        )
        if self._answers is not None:
            self._answers.append(response)
        return operation.parse(response)
