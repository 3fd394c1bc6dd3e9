"""A leaner bulk_create for the hot paths that insert thousands of rows (email import).

QuerySet.bulk_create compiles every value through the SQL compiler's expression machinery:
for an import of plain rows, that costs more than the database's own work (measured on
`bench/ingest`: 0.28 ms per message for the Message rows alone). This does what it does for
plain field values only: pre_save (auto_now_add), get_db_prep_save, one multi-row INSERT …
RETURNING id per chunk, and the ids set on the objects, in VALUES order as bulk_create relies
on too (SQLite ≥ 3.35 and PostgreSQL return them so).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from django.db import connection, models
from django.db.models import Model

# Fields whose value, when it is of this very type, is what the database takes:
# get_db_prep_save would hand it back unchanged, after a few µs through to_python, and a
# delivery row has 28 fields. (A str for an integer, or a bool, is left to Django.)
PLAIN_VALUES: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.ForeignKey: int,
}

M = TypeVar("M", bound=Model)


def insert_objects(objects: Sequence[M]) -> Sequence[M]:
    """Insert unsaved model instances of one model; set their primary keys; return them."""
    if not objects:
        return objects
    model = type(objects[0])
    for instance in objects:
        # As bulk_create: a related object saved earlier in the batch lends its new id.
        instance._prepare_related_fields_for_save(operation_name="insert_objects")
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    pairs = [(field, plain_type(field)) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    chunk_size = max(1, min(500, (connection.features.max_query_params or 999) // len(fields)))
    table, pk = quote(model._meta.db_table), model._meta.pk
    unnest = unnest_sql(fields)
    with connection.cursor() as cursor:
        for start in range(0, len(objects), chunk_size):
            chunk = objects[start : start + chunk_size]
            rows = [
                [db_value(field, field.pre_save(instance, True), plain) for field, plain in pairs]
                for instance in chunk
            ]
            if unnest and not any(hasattr(value, "as_sql") for row in rows for value in row):
                values, params = unnest, [list(column) for column in zip(*rows)]
            else:
                values = "VALUES " + ", ".join([per_row] * len(chunk))
                params = [value for row in rows for value in row]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {values} RETURNING {quote(pk.column)}", params
            )
            for instance, (new_id,) in zip(chunk, cursor.fetchall()):
                setattr(instance, pk.attname, new_id)
                instance._state.adding = False
                instance._state.db = connection.alias
    return objects


def unnest_sql(fields: list[models.Field]) -> str:
    """On PostgreSQL, rows as one array per column (as Django's bulk_create does there): a
    short statement whatever the number of rows, where VALUES has a placeholder per value
    for psycopg to find and fill (nearly half the insert's time for 200 deliveries)."""
    if connection.vendor != "postgresql":
        return ""
    casts = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    return f"SELECT * FROM UNNEST({casts})"


def plain_type(field: models.Field) -> type | None:
    for field_class, value_type in PLAIN_VALUES.items():
        if isinstance(field, field_class):
            return value_type
    return None


def db_value(field: models.Field, value: object, plain: type | None) -> object:
    if value is None or type(value) is plain:
        return value  # None is NULL for every field (JSONField's JSON null is Value("null"))
    if isinstance(field, models.DateTimeField) and isinstance(value, datetime) and value.tzinfo:
        # An aware datetime: what get_db_prep_save ends with, its checks for naive ones skipped.
        return connection.ops.adapt_datetimefield_value(value)
    return field.get_db_prep_save(value, connection)
