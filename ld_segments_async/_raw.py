"""Response metadata: ``ld.with_raw_response.<operation>(...)`` returns the answer's
status, headers and rate-limit budget along with what the plain call returns.

A raw call *is* the plain call, performed by a twin of the client that keeps the answer
it got (:meth:`SegmentsClient._recording`): same arguments, same checks, same retries,
same errors (a ``DecodeError`` or ``PartialPatchError`` too), and one list of
operations (:class:`RawResponses`) names every one of them once.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from attrs import frozen
from multidict import CIMultiDictProxy

from ._exchange import Response
from ._rate_headers import read_news
from .client import SegmentsClient

__all__ = ["RateLimitInfo", "RawResponse", "RawResponses"]

P = ParamSpec("P")
T = TypeVar("T")


@frozen
class RateLimitInfo:
    """What an answer said of LaunchDarkly's rate limits (a field is None when its
    header was absent or unreadable).

    Attributes:
        global_remaining: requests left in the account's window
            (``X-Ratelimit-Global-Remaining``).
        route_remaining: requests left for this method and route
            (``X-Ratelimit-Route-Remaining``).
        reset: when the window ends (``X-Ratelimit-Reset``), an aware UTC ``datetime``
            on the server's clock.
    """

    global_remaining: int | None
    route_remaining: int | None
    reset: dt.datetime | None

    @classmethod
    def of(cls, headers: CIMultiDictProxy[str]) -> RateLimitInfo:
        news = read_news(headers)
        if news is None:
            return cls(None, None, None)
        reset = None
        if news.reset is not None:
            reset = dt.datetime.fromtimestamp(news.reset, tz=dt.timezone.utc)
        return cls(news.global_remaining, news.route_remaining, reset)


class RawResponse(Generic[T]):
    """A successful answer, and what the plain call returns for it (:meth:`parse`).

    Attributes:
        status: the HTTP status (``200``, ``201``, ``204``...).
        headers: the answer's headers (a case-insensitive mapping).
        method, path: the request's (the path percent-encoded, without the query).
    """

    __slots__ = ("_value", "headers", "method", "path", "status")

    def __init__(self, response: Response, value: T) -> None:
        self.status = response.status
        self.headers = response.headers
        self.method = response.request.method
        self.path = response.request.path
        self._value = value

    @property
    def rate_limit(self) -> RateLimitInfo:
        """The rate-limit budget the answer reported."""
        return RateLimitInfo.of(self.headers)

    def parse(self) -> T:
        """What the plain call returns: the model, the job id, or None (204)."""
        return self._value

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.method} {self.path}>"


class _RawOperation(Generic[P, T]):
    """One operation of :class:`RawResponses`: the client's method, run by a twin that
    records the answer."""

    def __init__(self, method: Callable[Concatenate[SegmentsClient, P], Awaitable[T]]) -> None:
        self._method = method
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _RawOperation[P, T]: ...

    @overload
    def __get__(
        self, instance: RawResponses, owner: type[Any]
    ) -> Callable[P, Awaitable[RawResponse[T]]]: ...

    def __get__(self, instance: RawResponses | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        method, client = self._method, instance._client

        @functools.wraps(method)
        async def call(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
            twin, answers = client._recording()
            value = await method(twin, *args, **kwargs)
            return RawResponse(answers[-1], value)

        return call


class RawResponses:
    """Every operation of a client, returning a :class:`RawResponse`::

        raw = await ld.with_raw_response.get_segment("proj", "production", "beta")
        raw.status, raw.headers["Content-Type"], raw.rate_limit.route_remaining
        segment = raw.parse()

    Same arguments as the client's methods; errors are raised exactly as by them.
    """

    __slots__ = ("_client",)

    def __init__(self, client: SegmentsClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<RawResponses of {self._client!r}>"

    get_segments = _RawOperation(SegmentsClient.get_segments)
    get_segment = _RawOperation(SegmentsClient.get_segment)
    post_segment = _RawOperation(SegmentsClient.post_segment)
    patch_segment = _RawOperation(SegmentsClient.patch_segment)
    delete_segment = _RawOperation(SegmentsClient.delete_segment)
    create_big_segment_import = _RawOperation(SegmentsClient.create_big_segment_import)
    get_big_segment_import = _RawOperation(SegmentsClient.get_big_segment_import)
    create_big_segment_export = _RawOperation(SegmentsClient.create_big_segment_export)
    get_big_segment_export = _RawOperation(SegmentsClient.get_big_segment_export)
    get_segment_membership_for_context = _RawOperation(
        SegmentsClient.get_segment_membership_for_context
    )
    get_segment_membership_for_user = _RawOperation(SegmentsClient.get_segment_membership_for_user)
    update_big_segment_context_targets = _RawOperation(
        SegmentsClient.update_big_segment_context_targets
    )
    update_big_segment_targets = _RawOperation(SegmentsClient.update_big_segment_targets)
    get_context_instance_segments_membership_by_env = _RawOperation(
        SegmentsClient.get_context_instance_segments_membership_by_env
    )
    get_expiring_targets_for_segment = _RawOperation(
        SegmentsClient.get_expiring_targets_for_segment
    )
    patch_expiring_targets_for_segment = _RawOperation(
        SegmentsClient.patch_expiring_targets_for_segment
    )
    get_expiring_user_targets_for_segment = _RawOperation(
        SegmentsClient.get_expiring_user_targets_for_segment
    )
    patch_expiring_user_targets_for_segment = _RawOperation(
        SegmentsClient.patch_expiring_user_targets_for_segment
    )
