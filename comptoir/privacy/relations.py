"""Every table that points at a customer record, found from Django's model meta.

Merge, erasure, export and retention walk these relations instead of a list written by
hand, so that a model added later (a business event, a custom field value) is moved,
erased and exported without a change here.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models

from comptoir.customers.models import Customer


@dataclass(frozen=True)
class Relation:
    """A foreign key (or one-to-one) `field` of `model` whose target is `Customer`."""

    model: type[models.Model]
    field: models.ForeignKey

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows_of(self, customer_id: int) -> models.QuerySet[Any]:
        # The base manager: a model's default manager may hide rows or refuse changes.
        return self.model._base_manager.filter(**{self.field.attname: customer_id})


def customer_relations() -> Iterator[Relation]:
    """Yield every relation pointing at `Customer`, many-to-many tables included."""
    for related in Customer._meta.related_objects:
        if related.many_to_many:
            through = related.through
            # A through model of our own is a model with a foreign key: it is listed too.
            if through._meta.auto_created:
                name = related.field.m2m_reverse_field_name()
                yield Relation(through, through._meta.get_field(name))
            continue
        yield Relation(related.related_model, related.field)


def unique_field_sets(model: type[models.Model], field: models.Field) -> list[list[str]]:
    """Return the unique constraints of `model` that include `field`, as lists of names."""
    sets: list[list[str]] = [list(fields) for fields in model._meta.unique_together]
    sets += [
        list(constraint.fields)
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    ]
    if field.unique:
        sets.append([field.name])
    return [names for names in sets if field.name in names]


def text_field_blanks(model: type[models.Model], *, keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return, for every free-form field of `model` that may hold personal data, its blank.

    Free text, JSON, binary, IP addresses and plain dates (a birth date) are blanked;
    choices, numbers, date-times, booleans, keys and unique columns are kept: they are what
    the statistics count, and they say nothing about who the person was.
    """
    blanks: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if (
            field.primary_key
            or field.is_relation
            or field.choices
            or field.unique
            or field.name in keep
        ):
            continue
        if isinstance(field, models.JSONField):
            blanks[field.name] = None if field.null else field.get_default()
        elif isinstance(field, models.BinaryField):
            blanks[field.name] = None if field.null else b""
        elif isinstance(field, (models.CharField, models.TextField)):
            blanks[field.name] = None if field.null else ""
        elif isinstance(field, models.GenericIPAddressField) and field.null:
            blanks[field.name] = None
        elif (
            isinstance(field, models.DateField)
            and not isinstance(field, models.DateTimeField)
            and field.null
        ):
            blanks[field.name] = None
    return blanks
