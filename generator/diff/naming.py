"""The SDK's names for what a document declares, computed by the generator's own rules.

Resources are ``pbx.<tag>`` with the tag as openapi-python-client turns it into a module name, methods are the
operation ids as it turns them into function names, models and enums are its class names and fields its
attribute names. The document is first normalised by the generator's rules that decide names (``Pbx.`` dropped,
collections shared as ``<Item>CollectionResponse``, titles, quoted paths, operation ids); the rules that only
change value types are left out, so the report still shows how 3CX's declared types moved.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from openapi_python_client.config import ConfigFile
from openapi_python_client.parser.properties import Class
from openapi_python_client.parser.properties.enum_property import EnumProperty
from openapi_python_client.strings import ClassName, PythonIdentifier

from ..facade import ODATA_ARGUMENTS
from ..normalise import RULES, Document, integer_numbers, normalise, nullable_references

__all__ = [
    "ODATA_ARGUMENTS",
    "attribute_name",
    "class_name",
    "enum_members",
    "method_name",
    "named_document",
    "resource_name",
]

FIELD_PREFIX = ConfigFile().field_prefix
_NAMING_RULES = tuple(rule for rule in RULES if rule.apply not in (integer_numbers, nullable_references))


def named_document(data: Document) -> Document:
    """A copy of ``data`` normalised by the rules that decide the SDK's names (the input is left alone)."""
    doc: Document = json.loads(json.dumps(data, default=str))  # a deep copy, several times faster than copy.deepcopy
    normalise(doc, _NAMING_RULES)
    return doc


@cache
def resource_name(tag: str) -> str:
    """``pbx.<this>``: the module name openapi-python-client gives a tag (``AISettings`` -> ``ai_settings``)."""
    return str(PythonIdentifier(tag, prefix="tag"))


@cache
def method_name(operation_id: str) -> str:
    """The method (and generated function) name of an operation (``GetAIResources`` -> ``get_ai_resources``)."""
    return str(PythonIdentifier(operation_id, prefix=FIELD_PREFIX))


@cache
def class_name(schema_name: str) -> str:
    """The model or enum class of a component schema (``AgentSettings``, ``UserCollectionResponse``)."""
    return str(ClassName(schema_name, prefix=FIELD_PREFIX))


@cache
def attribute_name(property_name: str) -> str:
    """A model field's attribute (``ConfidentialModeEnabled`` -> ``confidential_mode_enabled``)."""
    return str(PythonIdentifier(property_name, prefix=FIELD_PREFIX))


def enum_members(name: str, values: list[Any]) -> dict[str, str]:
    """``{member: value}`` of an enum class, named as the generated enum names them (``LOGGEDIN``)."""
    clean = [v for v in values if isinstance(v, (str, int)) and not isinstance(v, bool)]
    if not all(isinstance(v, str) for v in clean) and not all(isinstance(v, int) for v in clean):
        return {str(v): str(v) for v in clean}
    info = Class(name=ClassName(name, prefix=FIELD_PREFIX), module_name=PythonIdentifier(name, prefix=FIELD_PREFIX))
    try:
        members = EnumProperty.values_from_list(clean, info, var_names=[])  # type: ignore[arg-type]
    except ValueError:  # two values that make one member name: keep the values
        return {str(v): str(v) for v in clean}
    return {member: str(value) for member, value in zip(members, clean, strict=True)}
