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

import functools
from collections.abc import Callable
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

import attrs
import cattrs
import cattrs.v
from cattrs import Converter
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

__all__ = ["converter", "explain", "make_converter", "wire_name"]

_EXTRA = "extra"


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The JSON name of a model attribute."""
    explicit = attribute.metadata.get("wire")
    if explicit is not None:
        return str(explicit)
    head, *rest = attribute.name.split("_")
    camel = head + "".join(part.title() for part in rest)
    return "_" + camel if attribute.metadata.get("underscored") else camel


def _expect(*kinds: type) -> Callable[[Any, Any], Any]:
    # Exact classes: bool is an int subclass, yet true is not a version number.
    def check(value: Any, _: Any) -> Any:
        if value.__class__ in kinds:
            return value
        raise TypeError(f"expected {kinds[0].__name__}, got {type(value).__name__}")

    return check


_PRIMITIVES: dict[Any, tuple[type, ...]] = {
    str: (str,),
    bool: (bool,),
    int: (int,),
    float: (float, int),
}


def _optional_factory(converter: Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    # cattrs dispatches the inner type of ``X | None`` on every value; resolve it once.
    # Optional primitives and string lists (most fields of a segment) are checked in one
    # call instead of two: a third of the time of decoding a small segment.
    def factory(union: Any) -> Callable[[Any, Any], Any]:
        (inner,) = (arg for arg in get_args(union) if arg is not NoneType)
        kinds = _PRIMITIVES.get(inner) or ((list,) if inner in _PASSTHROUGH_LISTS else None)
        if kinds is not None:
            kind = kinds[0].__name__

            def check(value: Any, _: Any) -> Any:
                if value is None or value.__class__ in kinds:
                    return value
                raise TypeError(f"expected {kind} or null, got {type(value).__name__}")

            return check
        hook = converter.get_structure_hook(inner)

        def structure(value: Any, _: Any) -> Any:
            return None if value is None else hook(value, inner)

        return structure

    return factory


def _is_optional(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) in (Union, UnionType) and len(args) == 2 and NoneType in args


def _is_model_mapping(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is dict and len(args) == 2 and attrs.has(args[1])


def _model_mapping_factory(converter: Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    # ``_links``: a dict of Link objects, on every resource.
    def factory(mapping: Any) -> Callable[[Any, Any], Any]:
        _, model = get_args(mapping)
        hook = converter.get_structure_hook(model)

        def structure(value: Any, _: Any) -> Any:
            if value.__class__ is not dict:
                raise TypeError(f"expected a JSON object, got {type(value).__name__}")
            return {key: hook(item, model) for key, item in value.items()}

        return structure

    return factory


def _is_model_or_object(type_: Any) -> bool:
    args = get_args(type_)
    return (
        get_origin(type_) in (Union, UnionType)
        and len(args) == 2
        and attrs.has(args[0])
        and args[1] == dict[str, Any]
    )


def _model_or_object_factory(converter: Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    # ``PatchWithComment.patch``: operations given as models or dicts are sent alike, and
    # read back as models.
    def factory(union: Any) -> Callable[[Any, Any], Any]:
        model = get_args(union)[0]
        hook = converter.get_structure_hook(model)
        return lambda value, _: hook(value, model)

    return factory


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
            if data.__class__ is not dict:
                raise TypeError(f"expected a JSON object for {cls.__name__}")
            instance = base(data, cls)
            if not known.issuperset(data):
                instance.extra = {key: data[key] for key in data if key not in known}
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
        (element,) = get_args(list_type) or (Any,)
        if attrs.has(element) and not converter.detailed_validation:
            # Lists of models, without cattrs' error bookkeeping (the detailed twin keeps
            # it, to explain a failure).
            hook = converter.get_structure_hook(element)

            def models(value: Any, _: Any) -> Any:
                if value.__class__ is not list:
                    raise TypeError(f"expected a JSON array, got {type(value).__name__}")
                return [hook(item, element) for item in value]

            return models
        structure = list_structure_factory(list_type, converter)

        def strict(value: Any, _: Any) -> Any:
            if value.__class__ is not list:
                raise TypeError(f"expected a JSON array, got {type(value).__name__}")
            return structure(value, list_type) if value else []

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
    converter.register_structure_hook(str, _expect(str))
    converter.register_structure_hook(bool, _expect(bool))
    converter.register_structure_hook(int, _expect(int))
    converter.register_structure_hook(float, _expect(float, int))
    converter.register_structure_hook_func(lambda t: t is Any, lambda value, _: value)
    converter.register_structure_hook_factory(_is_optional, _optional_factory(converter))
    converter.register_structure_hook_factory(_is_model_mapping, _model_mapping_factory(converter))
    converter.register_structure_hook_factory(
        _is_model_or_object, _model_or_object_factory(converter)
    )
    converter.register_structure_hook_factory(_is_list, _strict_lists(converter))
    converter.register_structure_hook_func(_PASSTHROUGH_LISTS.__contains__, _passthrough_list)
    converter.register_structure_hook_func(lambda t: t == dict[str, Any], _passthrough_dict)
    converter.register_structure_hook_factory(
        attrs.has, _structure_factory(converter, strict=strict)
    )
    converter.register_unstructure_hook_factory(attrs.has, _unstructure_factory(converter))
    return converter


converter: Converter = make_converter(detailed_validation=False)
"""The converter every call of the client uses: the fast one."""


@functools.cache
def _detailed() -> Converter:
    return make_converter()


def explain(data: Any, model: type) -> str:
    """Why ``data`` is not a ``model``: every problem, with its path in the JSON.

    Decoding runs without cattrs' detailed validation (a third faster); this re-runs the
    failed decode with it, which only failures pay for.
    """
    try:
        _detailed().structure(data, model)
    except Exception as error:  # any failure is what we describe
        return "; ".join(_problems(error, "$"))
    return "unknown problem"


def _problems(error: BaseException, path: str) -> list[str]:
    # cattrs.transform_error, but with JSON names (``_links``, ``creationDate``) in paths.
    found: list[str] = []
    if isinstance(error, cattrs.IterableValidationError):
        items, rest = error.group_exceptions()
        for inner, item in items:
            found += _problems(inner, f"{path}[{item.index!r}]")
    elif isinstance(error, cattrs.ClassValidationError):
        fields = attrs.fields_dict(error.cl) if attrs.has(error.cl) else {}
        attributes, rest = error.group_exceptions()
        for inner, attribute in attributes:
            field = fields.get(attribute.name)
            found += _problems(inner, f"{path}.{wire_name(field) if field else attribute.name}")
    else:
        rest = [error]  # type: ignore[list-item]
    return found + [f"{cattrs.v.format_exception(e, None)} @ {path}" for e in rest]
