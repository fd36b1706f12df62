"""Constants shared by the client's tests."""

from ld_segments_async import RetryPolicy

API_KEY = "api-7e57-5ecre7-0123456789abcdef"
"""A recognisable key: the suite checks it never shows up in logs or error texts."""

PROJECT = "proj"
ENV = "production"

FAST_RETRY = RetryPolicy(base_delay=0.001, max_delay=0.01, total_timeout=20)
"""Retries with near-zero waits, so retry tests take milliseconds."""
