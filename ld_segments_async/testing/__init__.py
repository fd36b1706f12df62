"""An in-memory fake of LaunchDarkly's Segments REST API, for tests.

``FakeLaunchDarkly`` serves every Segments operation (and list environments) over a real
socket, with knobs for latency, rate limits, faults, paging, listings that change
mid-walk (:class:`Churn`) and job progress::

    from ld_segments_async.testing import FakeLaunchDarkly, Fault

    async with FakeLaunchDarkly() as fake:
        fake.add_segment("default", "production", "beta-users", tags=["beta"])
        fake.inject(Fault.status(503), times=2)
        ...
"""

from .churn import Churn
from .faults import Fault, FaultPlan
from .ratelimit import RateLimit
from .recording import Exchange
from .server import FakeLaunchDarkly

__all__ = ["Churn", "Exchange", "FakeLaunchDarkly", "Fault", "FaultPlan", "RateLimit"]
