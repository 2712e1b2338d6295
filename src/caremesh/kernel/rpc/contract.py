"""What may cross the wire for a contract API: its declared methods and their pydantic adapters.

Only ``async`` methods declared on the contract Protocol itself (public names, no dunders) are
exposed. Arguments travel as one JSON object validated by a TypedDict adapter that forbids unknown
keys; parameters with defaults may be omitted, so the provider's own defaults apply.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, cast

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from caremesh.kernel.errors import InvalidRequest, Unprocessable
from caremesh.kernel.services import api_name

Kind = Literal["query", "command"]

_make_typed_dict: Any = TypedDict


@dataclass(frozen=True)
class MethodSpec:
    name: str
    kind: Kind
    signature: inspect.Signature  # without ``self``
    arguments: TypeAdapter[dict[str, Any]]
    result: TypeAdapter[Any]

    def encode_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
        """The call's arguments as JSON, validated on the caller's side first."""
        bound = self.signature.bind(*args, **kwargs)
        try:
            return self.arguments.dump_json(self.arguments.validate_python(bound.arguments))
        except ValidationError as exc:
            raise InvalidRequest(f"invalid arguments for {self.name}: {_summary(exc)}") from None

    def decode_arguments(self, body: bytes) -> dict[str, Any]:
        try:
            return self.arguments.validate_json(body or b"{}")
        except ValidationError as exc:
            if any(error["type"] == "json_invalid" for error in exc.errors()):
                raise InvalidRequest("the request body is not valid JSON") from None
            raise Unprocessable(_summary(exc), details={"errors": _errors(exc)}) from None


@dataclass(frozen=True)
class ContractSpec:
    api: type[Any]
    name: str
    module: str
    methods: dict[str, MethodSpec]


_specs: dict[type[Any], ContractSpec] = {}


def contract_spec(api: type[Any]) -> ContractSpec:
    """The (cached) spec of a contract API: adapters are built once per process."""
    if api not in _specs:
        methods = {name: _method_spec(api, name, function) for name, function in _declared_methods(api)}
        _specs[api] = ContractSpec(api=api, name=api_name(api), module=str(api.module), methods=methods)
    return _specs[api]


def _declared_methods(api: type[Any]) -> list[tuple[str, Any]]:
    found: dict[str, Any] = {}
    for klass in reversed(api.__mro__):
        if not getattr(klass, "_is_protocol", False) or klass is typing.Protocol:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and inspect.isfunction(value):
                found[name] = value
    return list(found.items())


def _method_spec(api: type[Any], name: str, function: Any) -> MethodSpec:
    if not inspect.iscoroutinefunction(function):
        raise TypeError(f"{api.__name__}.{name} must be async to be callable across modules")
    hints = typing.get_type_hints(function)
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1:]
    fields = {p.name: _field_type(api, name, p, hints.get(p.name, Any)) for p in parameters}
    arguments_type = _make_typed_dict(f"{api.__name__}_{name}_arguments", fields)
    arguments_type.__pydantic_config__ = ConfigDict(extra="forbid")
    return MethodSpec(
        name=name,
        # An unmarked method is treated as a command: never repeated unless provably unsent.
        kind=cast(Kind, getattr(function, "__caremesh_kind__", "command")),
        signature=signature.replace(parameters=parameters),
        arguments=TypeAdapter(arguments_type),
        result=TypeAdapter(hints.get("return", Any)),
    )


def _field_type(api: type[Any], method: str, parameter: inspect.Parameter, annotation: Any) -> Any:
    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.POSITIONAL_ONLY):
        raise TypeError(f"{api.__name__}.{method}: parameter {parameter.name} cannot cross the wire by name")
    return annotation if parameter.default is parameter.empty else NotRequired[annotation]


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    # Without the input: arguments may be PHI and problem bodies end up in logs.
    return [
        {"location": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors(include_input=False, include_url=False, include_context=False)
    ]


def _summary(exc: ValidationError) -> str:
    return "; ".join(f"{e['location'] or 'body'}: {e['message']}" for e in _errors(exc))
