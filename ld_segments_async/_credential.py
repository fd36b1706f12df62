"""The API key, kept in one object that shows it to nobody.

Its ``repr`` hides it, it refuses to be pickled or copied into a plain string by
accident, and the transport reads it only inside the expression that builds an
attempt's headers, so no frame on an error's traceback holds it in a local variable.
"""

from __future__ import annotations

import os
from typing import NoReturn

__all__ = ["Credential"]


class Credential:
    """A LaunchDarkly access token.

    Raises:
        ValueError: no key, a key with a line break (it would inject a header), or an SDK
            or mobile key (the REST API refuses them).
    """

    __slots__ = ("_key",)

    def __init__(self, key: str | None) -> None:
        key = key if key is not None else os.environ.get("LD_API_KEY")
        if not key:
            raise ValueError("no API key: pass api_key= or set LD_API_KEY")
        if not isinstance(key, str) or any(c in key for c in "\r\n\0"):
            raise ValueError("the API key must be a single-line string")
        if key.startswith(("sdk-", "mob-")):
            raise ValueError(
                "this is an SDK or mobile key; LaunchDarkly's REST API needs a personal or "
                "service access token"
            )
        self._key = key

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header's value (LaunchDarkly takes the bare token)."""
        return self._key

    def __repr__(self) -> str:
        return "Credential(<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("an API key is never pickled: create the client again where it is used")

    def __copy__(self) -> Credential:
        return self

    def __deepcopy__(self, memo: object) -> Credential:
        return self
