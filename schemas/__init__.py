"""JSON Schemas of capactif-hub and their loader.

The hub, the connectors and the tests read schemas only through `schemas.loader`.
"""

from schemas.loader import FieldError, SchemaValidator, load_schema, schema_names, summary, validator

__all__ = ["FieldError", "SchemaValidator", "load_schema", "schema_names", "summary", "validator"]
