"""Stage 2: rewrite the quirks of 3CX's documents out before openapi-python-client sees them.

Each rule is a small function over the document, registered in ``RULES`` (the one list, in the order the
pipeline applies them) with a name and a one-line description of what it counts. A rule either changes the
document so that a stock generator handles it, or annotates it with ``x-threecx-*`` extensions that our
registry and templates read. A rule with nothing to do in a document reports zero and changes nothing.

The rules live by subject: ``parameters`` (path parameters and their OData literals), ``values`` (value
types), ``responses`` (collections, shared responses, downloads), ``naming`` (operation ids and model
names), ``secrets`` (which fields model reprs hide) and ``rows`` (what identifies a row of a paged
collection). Several exist for older documents (OpenAPI 3.0.1 from Microsoft.OpenApi.OData 1.0.x) and do
nothing on a current one: quoted path templates, enums of ``$select`` values, plain collection objects,
``number`` for whole numbers, ``anyOf`` nullable references, shared inline responses and request bodies,
titles that clash.
"""

from __future__ import annotations

from .document import Document, NormaliseError, Rule, RuleReport, iter_operations, resolve
from .naming import component_titles, inline_title_clashes, operation_ids, request_body_titles, schema_namespace
from .parameters import (
    nullable_path_params,
    odata_path_literals,
    operation_parameters,
    path_param_defaults,
    query_option_values,
    quoted_path_literals,
)
from .responses import (
    collection_annotations,
    file_responses,
    plain_collection_responses,
    shared_collection_responses,
    shared_request_bodies,
    shared_response_components,
)
from .rows import ROW_KEYS, row_keys
from .secrets import secret_fields
from .values import integer_numbers, nullable_references

__all__ = [
    "ROW_KEYS",
    "RULES",
    "Document",
    "NormaliseError",
    "Rule",
    "RuleReport",
    "collection_annotations",
    "component_titles",
    "file_responses",
    "inline_title_clashes",
    "integer_numbers",
    "iter_operations",
    "normalise",
    "nullable_path_params",
    "nullable_references",
    "odata_path_literals",
    "operation_ids",
    "operation_parameters",
    "path_param_defaults",
    "plain_collection_responses",
    "query_option_values",
    "quoted_path_literals",
    "request_body_titles",
    "resolve",
    "row_keys",
    "schema_namespace",
    "secret_fields",
    "shared_collection_responses",
    "shared_request_bodies",
    "shared_response_components",
]

RULES: tuple[Rule, ...] = (
    Rule("operation ids", "operations", operation_ids),
    Rule("operation parameters", "operations", operation_parameters),
    Rule("integer numbers", "schemas or operations", integer_numbers),
    Rule("nullable references", "schemas or operations", nullable_references),
    Rule("quoted path literals", "operations", quoted_path_literals),
    Rule("nullable path params", "operations", nullable_path_params),
    Rule("path param defaults", "operations", path_param_defaults),
    Rule("odata path literals", "operations", odata_path_literals),
    Rule("query option values", "operations", query_option_values),
    Rule("plain collection responses", "operations or responses", plain_collection_responses),
    Rule("shared response components", "responses", shared_response_components),
    Rule("shared request bodies", "request bodies", shared_request_bodies),
    Rule("collection annotations", "schemas", collection_annotations),
    Rule("file responses", "operations", file_responses),
    Rule("request body titles", "operations", request_body_titles),
    Rule("shared collection responses", "operations", shared_collection_responses),
    Rule("schema namespace", "schemas", schema_namespace),
    Rule("component titles", "schemas", component_titles),
    Rule("secret fields", "schemas", secret_fields),
    Rule("inline title clashes", "operations or components", inline_title_clashes),
    Rule("row keys", "operations", row_keys),
)


def normalise(doc: Document, rules: tuple[Rule, ...] = RULES) -> list[tuple[Rule, RuleReport]]:
    """Apply every rule in order, in place; return what each touched."""
    return [(rule, rule.apply(doc)) for rule in rules]
