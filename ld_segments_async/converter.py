"""The one cattrs converter: JSON-ready dicts <-> models.

Wire names are derived, not declared: ``creation_date`` <-> ``creationDate``, and a
field marked underscored in :mod:`ld_segments_async.models` gains a leading ``_``
(``links`` <-> ``_links``). Unknown JSON keys land in the model's ``extra`` dict and are
written back on unstructuring, so decode -> encode round-trips. Request bodies omit
optional fields left unset.

Primitive fields are type-checked rather than coerced (cattrs would turn ``"false"``
into ``True`` for a ``bool``). Lists of strings and free-form JSON (``list[Any]``,
``dict[str, Any]``) are passed through after a cheap type check: a big segment's
15,000 keys are not copied element by element.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_origin

import attrs
from cattrs import Converter
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["converter", "make_converter", "wire_name"]

_EXTRA = "extra"


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The JSON name of a model attribute."""
    explicit = attribute.metadata.get("wire")
    if explicit is not None:
        return str(explicit)
    head, *rest = attribute.name.split("_")
    camel = head + "".join(part.title() for part in rest)
    return "_" + camel if attribute.metadata.get("underscored") else camel


def _expect(
    kind: type | tuple[type, ...], name: str, *, allow_bool: bool = False
) -> Callable[[Any, Any], Any]:
    # bool is an int subclass: only a bool field accepts true/false.
    def check(value: Any, _: Any) -> Any:
        if isinstance(value, kind) and (allow_bool or not isinstance(value, bool)):
            return value
        raise TypeError(f"expected {name}, got {type(value).__name__}")

    return check


def _structure_factory(converter: Converter, *, strict: bool) -> Callable[[type], Any]:
    def factory(cls: type) -> Callable[[Any, Any], Any]:
        fields = [a for a in attrs.fields(cls) if a.name != _EXTRA]
        overrides: dict[str, Any] = {a.name: override(rename=wire_name(a)) for a in fields}
        overrides[_EXTRA] = override(omit=True)
        known = frozenset(wire_name(a) for a in fields)
        base: Callable[[Any, Any], Any] = make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=strict, **overrides
        )

        def structure(data: Any, _: Any) -> Any:
            if type(data) is not dict:
                raise TypeError(f"expected a JSON object for {cls.__name__}")
            instance = base(data, cls)
            unknown = data.keys() - known
            if unknown:
                instance.extra = {key: data[key] for key in unknown}
            return instance

        return structure

    return factory


def _unstructure_factory(converter: Converter) -> Callable[[type], Any]:
    def factory(cls: type) -> Callable[[Any], dict[str, Any]]:
        # Only "unset" defaults are omitted: None, and ... for a patch operation's value.
        # A default like negate=False is a real value and is sent.
        overrides: dict[str, Any] = {
            a.name: override(rename=wire_name(a), omit_if_default=a.default in (None, ...))
            for a in attrs.fields(cls)
            if a.name != _EXTRA
        }
        overrides[_EXTRA] = override(omit=True)
        base: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
            cls, converter, **overrides
        )

        def unstructure(instance: Any) -> dict[str, Any]:
            data = base(instance)
            extra = instance.extra
            if extra:
                # Known fields win: extra only carries what the model has no field for.
                return {**extra, **data}
            return data

        return unstructure

    return factory


def _strict_lists(converter: Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    # cattrs turns any iterable into a list: a JSON object where an array belongs would
    # silently become its keys.
    def factory(list_type: Any) -> Callable[[Any, Any], Any]:
        structure = list_structure_factory(list_type, converter)

        def strict(value: Any, _: Any) -> Any:
            if type(value) is not list:
                raise TypeError(f"expected a JSON array, got {type(value).__name__}")
            return structure(value, list_type)

        return strict

    return factory


def _is_list(type_: Any) -> bool:
    return get_origin(type_) is list


def _passthrough_list(value: Any, _: Any) -> Any:
    if type(value) is list:
        return value
    raise TypeError(f"expected a JSON array, got {type(value).__name__}")


def _passthrough_dict(value: Any, _: Any) -> Any:
    if type(value) is dict:
        return value
    raise TypeError(f"expected a JSON object, got {type(value).__name__}")


_PASSTHROUGH_LISTS = frozenset({list[str], list[Any]})


def make_converter(*, strict: bool = False, detailed_validation: bool = True) -> Converter:
    """Build a converter for the models.

    Args:
        strict: refuse unknown JSON keys (``ForbiddenExtraKeysError``) instead of keeping
            them in ``extra``. The test-suite uses a strict twin so that drift between the
            spec, the fake and the models fails loudly; production code never does.
        detailed_validation: collect every error of a body with its JSON path (what
            :class:`~ld_segments_async.errors.DecodeError` messages show).
    """
    converter = Converter(detailed_validation=detailed_validation)
    converter.register_structure_hook(str, _expect(str, "a string"))
    converter.register_structure_hook(bool, _expect(bool, "a boolean", allow_bool=True))
    converter.register_structure_hook(int, _expect(int, "an integer"))
    converter.register_structure_hook(float, _expect((int, float), "a number"))
    converter.register_structure_hook(Any, lambda value, _: value)
    converter.register_structure_hook_factory(_is_list, _strict_lists(converter))
    converter.register_structure_hook_func(_PASSTHROUGH_LISTS.__contains__, _passthrough_list)
    converter.register_structure_hook_func(lambda t: t == dict[str, Any], _passthrough_dict)
    converter.register_structure_hook_factory(
        attrs.has, _structure_factory(converter, strict=strict)
    )
    converter.register_unstructure_hook_factory(attrs.has, _unstructure_factory(converter))
    return converter


converter: Converter = make_converter()
"""The converter every call of the client uses."""
