"""The models are checked against the OpenAPI document: every field exists in its schema with a compatible type, every
field a response always has is in its model, and every list method's parameters are the operation's."""

from __future__ import annotations

import types
import typing

import pytest

from switchboard import models
from switchboard._sync import _resources

sys_path_scripts = __import__("pathlib").Path(__file__).resolve().parents[1] / "scripts"
__import__("sys").path.insert(0, str(sys_path_scripts))
from models_from_openapi import INPUTS, QUERIES, RESPONSES  # noqa: E402

JSON_TYPES: dict[type, set[str]] = {str: {"string"}, int: {"integer"}, float: {"number"}, bool: {"boolean"},
                                     list: {"array"}, dict: {"object"}}


def resolve(openapi: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def schema_types(openapi: dict, schema: dict) -> set[str]:
    schema = resolve(openapi, schema)
    if "oneOf" in schema:
        return set().union(*(schema_types(openapi, s) for s in schema["oneOf"]))
    declared = schema.get("type")
    if declared is None:
        return {"any"}
    return {declared} if isinstance(declared, str) else set(declared)


def python_types(annotation: object) -> tuple[set[str], set[object]]:
    """The JSON types a Python annotation admits, and the Literal values it allows (if it is a Literal)."""
    origin = typing.get_origin(annotation)
    if origin is typing.NotRequired:
        return python_types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds: set[str] = set()
        literals: set[object] = set()
        for arg in typing.get_args(annotation):
            k, lit = python_types(arg)
            kinds |= k
            literals |= lit
        return kinds, literals
    if origin is typing.Literal:
        return {"string"}, set(typing.get_args(annotation))
    if annotation is type(None):
        return {"null"}, set()
    if annotation is typing.Any:
        return {"any"}, set()
    if isinstance(annotation, type) and typing.is_typeddict(annotation):
        return {"object"}, set()
    base = origin or annotation
    if base in JSON_TYPES:
        return set(JSON_TYPES[base]), set()
    return {"string"}, set()  # datetime / date: sent as ISO strings


def check_model(openapi: dict, model: type, schema_name: str, response: bool) -> list[str]:
    schema = openapi["components"]["schemas"][schema_name]
    properties = schema.get("properties", {})
    hints = typing.get_type_hints(model, include_extras=True)
    problems = []
    for field, annotation in hints.items():
        if field not in properties:
            problems.append(f"{model.__name__}.{field} is not in {schema_name}")
            continue
        wanted = schema_types(openapi, properties[field])
        have, literals = python_types(annotation)
        if "any" not in wanted and "any" not in have and not (have - {"null"}) <= (wanted | ({"number"} if "integer" in wanted else set())):
            problems.append(f"{model.__name__}.{field}: {have} but the document says {wanted}")
        if response and "null" in wanted and "null" not in have:
            problems.append(f"{model.__name__}.{field} can be null in the document")
        enum = resolve(openapi, properties[field]).get("enum")
        if literals and enum is not None and literals != {v for v in enum if v is not None}:
            problems.append(f"{model.__name__}.{field}: values {sorted(literals)} but the document has {enum}")
    if response:
        for field in schema.get("required", []):
            if field not in hints:
                problems.append(f"{model.__name__} lacks {field}, which every {schema_name} has")
    return problems


@pytest.mark.parametrize("name, schema_name", sorted(RESPONSES.items()))
def test_response_models_match_their_schemas(openapi: dict, name: str, schema_name: str) -> None:
    assert check_model(openapi, getattr(models, name), schema_name, response=True) == []


@pytest.mark.parametrize("name, schema_name", sorted(INPUTS.items()))
def test_input_models_match_their_schemas(openapi: dict, name: str, schema_name: str) -> None:
    assert check_model(openapi, getattr(models, name), schema_name, response=False) == []


# Operations whose methods reuse another operation's parameter TypedDict.
SHARED = [
    ("UsageParams", "exportUsage"), ("PeriodParams", "getCallAnalytics"), ("PeriodParams", "getLeadAnalytics"),
    ("PeriodParams", "getApiKeyUsage"), ("PageParams", "listMembers"), ("PageParams", "listInvitations"),
    ("PageParams", "listIntegrationRules"), ("PageParams", "listIntegrationSyncRuns"),
    ("PageParams", "listIntegrationProviderReviews"),
]


@pytest.mark.parametrize("name, operation_id", sorted(QUERIES.items()) + SHARED)
def test_list_parameters_are_the_operations(openapi: dict, name: str, operation_id: str) -> None:
    operation = next(op for item in openapi["paths"].values() for op in item.values() if isinstance(op, dict) and op.get("operationId") == operation_id)
    document = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    assert set(typing.get_type_hints(getattr(models, name))) == document


def test_a_drifted_model_is_caught(openapi: dict) -> None:
    """The check itself: a field that is not in the schema, or of the wrong type, is reported."""

    class Drifted(typing.TypedDict):
        id: str
        firstName: int
        nickname: str

    problems = check_model(openapi, Drifted, "ContactResponse", response=True)
    assert any("nickname is not in ContactResponse" in p for p in problems)
    assert any("firstName" in p for p in problems)
    assert any("lacks email" in p for p in problems)


def test_every_list_method_declares_its_operations_parameters() -> None:
    """Each ``list``/``list_all`` takes the TypedDict of its own operation, so a typo in a filter is a type error."""
    by_operation = {op: getattr(models, name) for name, op in QUERIES.items()}
    checked = 0
    for cls in vars(_resources).values():
        if not isinstance(cls, type):
            continue
        for attr in ("list", "list_all"):
            method = cls.__dict__.get(attr)
            op = getattr(method, "__operation_id__", None)
            if op not in by_operation:
                continue
            hints = typing.get_type_hints(method, include_extras=True)
            assert hints["params"] == typing.Unpack[by_operation[op]], f"{cls.__name__}.{attr}"
            checked += 1
    assert checked >= 20
