"""Tunables: the client configuration, timeouts and the retry policy."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from attrs import Attribute, field, frozen, validators

from ._version import __version__

__all__ = ["DEFAULT_BASE_URL", "IDEMPOTENT_METHODS", "ClientConfig", "RetryPolicy", "Timeout"]

DEFAULT_BASE_URL = "https://app.launchdarkly.com"
DEFAULT_API_VERSION = "20240415"

IDEMPOTENT_METHODS = frozenset({"GET", "DELETE"})
"""Methods retried after a 5xx, a timeout or a dropped connection. LaunchDarkly has no
idempotency keys, so POST and PATCH are retried only when nothing reached the server."""


def _non_negative(_: object, attribute: Attribute[Any], value: float | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value!r}")


@frozen
class Timeout:
    """Per-attempt timeouts in seconds (``None`` disables one).

    Attributes:
        connect: establishing a TCP + TLS connection.
        read: waiting for the answer. An ordinary call's attempt gets ``read`` seconds
            for the whole of it (connecting included); an upload or a download waits at
            most ``read`` for its next bytes, however long the whole transfer takes.
        total: one whole attempt, from sending to the last byte read. The time of a whole
            call including its retries is bounded by :attr:`RetryPolicy.total_timeout`.
    """

    connect: float | None = field(default=10.0, validator=_non_negative)
    read: float | None = field(default=60.0, validator=_non_negative)
    total: float | None = field(default=None, validator=_non_negative)


@frozen
class RetryPolicy:
    """When and how long to retry a call.

    * 429 is retried for every method (LaunchDarkly did not process the request). The
      wait is ``Retry-After`` if sent, else until ``X-Ratelimit-Reset`` (clamped to
      ``max_reset_wait``), else exponential backoff with full jitter.
    * ``retry_statuses``, timeouts, dropped connections and truncated bodies are retried
      only for idempotent methods (GET, DELETE). A complete body that is not what the
      spec says is a :class:`~ld_segments_async.errors.DecodeError`, never retried.
    * A connection that could not be established (nothing was sent) is retried for every
      method.
    * 409 and every other 4xx are never retried.

    Attributes:
        max_attempts: attempts per call, the first one included (1 disables retries).
        total_timeout: seconds a call may take with all its attempts and waits; a wait
            that would cross it is not started and the last error is raised.
        base_delay: the first backoff ceiling; the n-th is ``base_delay * 2**(n-1)``.
        max_delay: the cap of one backoff wait.
        max_retry_after: the longest ``Retry-After`` honoured; beyond it the
            :class:`~ld_segments_async.errors.RateLimitedError` is raised at once so that
            the caller can reschedule the work.
        max_reset_wait: the cap of a wait derived from ``X-Ratelimit-Reset``
            (LaunchDarkly's windows last ten seconds: a reset further away is clock skew).
        retry_statuses: the statuses retried for idempotent methods.
    """

    max_attempts: int = field(default=5, validator=validators.ge(1))
    total_timeout: float | None = field(default=120.0, validator=_non_negative)
    base_delay: float = field(default=0.5, validator=_non_negative)
    max_delay: float = field(default=10.0, validator=_non_negative)
    max_retry_after: float = field(default=60.0, validator=_non_negative)
    max_reset_wait: float = field(default=11.0, validator=_non_negative)
    retry_statuses: frozenset[int] = field(
        default=frozenset({500, 502, 503, 504}), converter=frozenset
    )

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)


def _as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _share(_: object, attribute: Attribute[Any], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(f"{attribute.name} must be a number with 0 < share <= 1, got {value!r}")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_url(config: ClientConfig, _: object, base_url: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("base_url must not carry credentials, a query or a fragment")
    insecure = parts.scheme == "http" and not _is_loopback(parts.hostname)
    if insecure and not config.allow_insecure_http:
        raise ValueError(
            f"refusing plain http to {parts.hostname}: the API key would travel "
            "unencrypted; use https, or pass allow_insecure_http=True"
        )


def _strip_slash(url: str) -> str:
    return url.rstrip("/")


@frozen(kw_only=True)
class ClientConfig:
    """Everything a :class:`~ld_segments_async.SegmentsClient` is configured with, except
    the API key (which lives only in the transport and never in a repr).

    Attributes:
        base_url: ``https://app.launchdarkly.com``, the federal
            ``https://app.launchdarkly.us`` or the EU ``https://app.eu.launchdarkly.com``.
        api_version: the ``LD-API-Version`` header.
        timeout: per-attempt timeouts.
        retry: the retry policy.
        max_connections: size of the connection pool.
        user_agent: the ``User-Agent`` header.
        allow_insecure_http: allow ``http://`` to a host that is not loopback.
        trust_env: read proxies and ``.netrc`` from the environment (off by default: it
            costs a filesystem lookup per request).
        ssl: an :class:`ssl.SSLContext` for custom CAs or client certificates; TLS
            verification is always on unless the context turns it off.
        max_body_size: the largest response body read into memory, in bytes (counted
            after decompression).
        max_download_size: the largest export file downloaded when the export does not
            say its size (when it does, that size plus a margin is the cap).
        trace_configs: ``aiohttp.TraceConfig`` objects given to the client's own session
            (OpenTelemetry's aiohttp instrumentation, or your own hooks).
        max_concurrency: requests in flight at once (None: up to ``max_connections``);
            further calls wait their turn without holding a connection.
        rate_limit_reserve: requests of each rate-limit budget left unused per window,
            for other clients of the account.
        rate_limit_share: the largest fraction (0 < share <= 1) of each rate-limit
            budget this client spends per window.
    """

    allow_insecure_http: bool = False
    base_url: str = field(
        default=DEFAULT_BASE_URL, converter=_strip_slash, validator=_check_base_url
    )
    api_version: str = field(default=DEFAULT_API_VERSION, validator=validators.min_len(1))
    timeout: Timeout = field(factory=Timeout)
    retry: RetryPolicy = field(factory=RetryPolicy)
    max_connections: int = field(default=64, validator=validators.ge(1))
    user_agent: str = f"ld-segments-async/{__version__}"
    trust_env: bool = False
    ssl: ssl.SSLContext | None = field(default=None, eq=False)
    max_body_size: int = field(default=64 * 1024 * 1024, validator=validators.ge(1))
    max_download_size: int = field(default=16 * 1024**3, validator=validators.ge(1))
    trace_configs: tuple[Any, ...] = field(default=(), converter=_as_tuple, eq=False)
    max_concurrency: int | None = field(
        default=None, validator=validators.optional(validators.ge(1))
    )
    rate_limit_reserve: int = field(default=1, validator=validators.ge(0))
    rate_limit_share: float = field(default=1.0, validator=_share)
