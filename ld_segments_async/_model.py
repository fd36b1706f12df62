"""What every model has: ``to_dict()``, ``from_dict()`` and a short ``repr()``; and the
field helpers :mod:`.models` declares them with.

The conversions are the one converter's (:mod:`.converter`): wire names, unknown fields
kept in ``extra`` and written back, unset fields left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs

__all__ = ["NO_EXTRA", "Model", "extra_field", "underscored"]

M = TypeVar("M", bound="Model")

SHOWN_ITEMS = 10
"""Lists and dicts longer than this are summarised in a repr (``[15000 items]``)."""
SHOWN_CHARS = 200
"""Strings longer than this are cut in a repr."""


class Model:
    """The base of every model of :mod:`ld_segments_async.models`."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The model as LaunchDarkly's JSON: a ``dict`` of JSON-ready values with the
        wire names (camelCase, ``_links``), unknown fields (``extra``) included, unset
        (``None``) fields left out. ``type(m).from_dict(m.to_dict()) == m``."""
        from .converter import converter  # the converter knows models, not the reverse

        data: dict[str, Any] = converter.unstructure(self)
        return data

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """A model from LaunchDarkly's JSON (as :meth:`to_dict` gives, or a response
        body decoded by another library); unknown fields land in ``extra``.

        Raises:
            ValueError: ``data`` is not such a model (every problem named, with its path).
        """
        from .converter import converter, explain

        plain = dict(data) if isinstance(data, Mapping) else data
        try:
            return converter.structure(plain, cls)
        except Exception:  # any cattrs failure; described with its JSON paths
            problems = explain(plain, cls)
        raise ValueError(f"not a valid {cls.__name__}: {problems}")

    def __repr__(self) -> str:
        shown = (
            f"{field.name}={_short(value)}"
            for field in attrs.fields(type(self))  # type: ignore[arg-type]
            if field.repr and (value := getattr(self, field.name)) is not None and value is not ...
        )
        return f"{type(self).__name__}({', '.join(shown)})"


def _short(value: Any) -> str:
    """``repr(value)``, with long lists, dicts and strings summarised."""
    if isinstance(value, (list, tuple)):
        if len(value) > SHOWN_ITEMS:
            return f"[{len(value)} items]"
        return "[" + ", ".join(_short(item) for item in value) + "]"
    if isinstance(value, dict):
        if len(value) > SHOWN_ITEMS:
            return f"{{{len(value)} items}}"
        return "{" + ", ".join(f"{key!r}: {_short(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}... ({len(value)} characters)"
    return repr(value)


def underscored(**kwargs: Any) -> Any:
    """A field whose JSON name starts with ``_`` (read-only in LaunchDarkly)."""
    return attrs.field(metadata={"underscored": True}, **kwargs)


class _NoExtra(Mapping[str, Any]):
    """The empty, read-only ``extra`` that models share: no dict per decoded object."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "NO_EXTRA"  # pickles as the module's singleton

    def __copy__(self) -> _NoExtra:
        return self

    def __deepcopy__(self, memo: object) -> _NoExtra:
        return self


NO_EXTRA = _NoExtra()


def extra_field() -> Any:
    """The ``extra`` field: JSON fields the model does not declare, kept as they came
    (out of ``repr``: a field LaunchDarkly adds later may be a secret)."""
    return attrs.field(default=NO_EXTRA, repr=False)
