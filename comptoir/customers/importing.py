"""Import of customer records from a CSV or XLSX file: the whole file or nothing.

Every row is checked before anything is written: malformed emails and phones, unknown values,
unknown columns, duplicates within the file and against the records already held. One bad row
and nothing is imported, so that a file fixed and sent again never meets half of itself.
A valid file is written in one transaction with bulk inserts (the 100,000-row benchmark is in
bench/customer_import.py).
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone

from comptoir.customers.identities import InvalidIdentity, normalise_email, normalise_phone
from comptoir.customers.models import Customer, CustomField, Identity
from comptoir.customers.profile import (
    TEXT_FIELDS,
    InvalidValue,
    StoreLookup,
    clean_choice,
    clean_custom_value,
    clean_language,
    list_custom_fields,
)

FORMATS = ("csv", "xlsx")
IDENTITY_COLUMNS = ("email", "phone")
PROFILE_COLUMNS = (*TEXT_FIELDS, "kind", "market", "age_bracket", "language", "store")
# Headers as a French export names them, mapped to our column names.
ALIASES = {
    "e-mail": "email",
    "courriel": "email",
    "mail": "email",
    "téléphone": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "prénom": "first_name",
    "prenom": "first_name",
    "nom": "last_name",
    "société": "company_name",
    "societe": "company_name",
    "entreprise": "company_name",
    "langue": "language",
    "magasin": "store",
    "agence": "store",
    "tranche d'âge": "age_bracket",
}
CHUNK_SIZE = 2000
# How many values one `IN (…)` holds: under SQLite's historic limit of 999 parameters.
LOOKUP_CHUNK = 900


class ImportFileError(ValueError):
    """The file cannot be read at all (format, encoding, empty)."""


@dataclass(frozen=True)
class RowError:
    row: int  # the line in the file as a spreadsheet shows it: the header is row 1
    column: str
    value: str
    message: str


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    columns: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})

    def as_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "rows": self.rows,
            "bad_rows": self.bad_rows,
            "created": self.created,
            "columns": self.columns,
            "errors": [asdict(error) for error in self.errors],
        }


def detect_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in ("csv", "txt"):
        return "csv"
    if suffix == "xlsx":
        return "xlsx"
    raise ImportFileError(f"unsupported file type '.{suffix}': use .csv or .xlsx")


def read_csv(stream: BinaryIO) -> Iterator[list[Any]]:
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # A French Excel saves "CSV" in Windows-1252 unless told otherwise.
        text = raw.decode("cp1252", errors="replace")
    first_line = text.split("\n", 1)[0]
    # Excel in a French locale separates with ";" (the comma is the decimal mark).
    delimiter = max((";", ",", "\t"), key=first_line.count)
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def read_xlsx(stream: BinaryIO) -> Iterator[list[Any]]:
    import openpyxl  # imported here: only an XLSX import pays for loading it

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken file
        raise ImportFileError(f"not a readable XLSX file: {error}") from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def cell_text(value: Any) -> str:
    """Return a cell as text; a spreadsheet gives numbers for phones and dates for dates."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def phone_cell(text: str) -> str:
    # A spreadsheet drops the leading 0 of a French number stored as a number: 612345678.
    if text.isdigit() and len(text) == 9:
        return "0" + text
    return text


Cleaner = Callable[[str], Any]


def column_cleaners(
    columns: list[str], custom_fields: dict[str, CustomField], stores: StoreLookup
) -> dict[str, Cleaner]:
    cleaners: dict[str, Cleaner] = {}
    for column in columns:
        if column in TEXT_FIELDS:
            cleaners[column] = str
        elif column in ("kind", "market", "age_bracket"):
            cleaners[column] = lambda value, name=column: clean_choice(name, value)
        elif column == "language":
            cleaners[column] = clean_language
        elif column == "store":
            cleaners[column] = stores.find
        elif column in custom_fields:
            cleaners[column] = lambda value, f=custom_fields[column]: clean_custom_value(f, value)
    return cleaners


@dataclass
class ValidRow:
    row: int
    email: str = ""
    phone: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)


def import_customers(
    stream: BinaryIO, *, filename: str, dry_run: bool = False, file_format: str | None = None
) -> ImportReport:
    """Check every row of a customer file, then create them all, or none if any row is bad.

    Raises ImportFileError when the file cannot be read at all.
    """
    report = ImportReport(filename=filename, dry_run=dry_run)
    file_format = file_format or detect_format(filename)
    lines = read_xlsx(stream) if file_format == "xlsx" else read_csv(stream)
    try:
        header = next(lines)
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    except (csv.Error, UnicodeError) as error:
        raise ImportFileError(f"not a readable CSV file: {error}") from error

    custom_fields = list_custom_fields()
    known = {*IDENTITY_COLUMNS, *PROFILE_COLUMNS, *custom_fields}
    columns: list[str] = []
    for text in map(cell_text, header):
        name = ALIASES.get(text.strip().lower(), text.strip().lower())
        if name and name not in known:
            report.errors.append(RowError(1, text, text, f"unknown column '{text}'"))
        elif name and name in columns:
            report.errors.append(RowError(1, text, text, f"column '{text}' appears twice"))
        columns.append(name if name in known and name not in columns else "")
    report.columns = [c for c in columns if c]
    if not ({"email", "phone"} & set(columns)):
        report.errors.append(RowError(1, "", "", "the file needs an email or a phone column"))

    cleaners = column_cleaners(columns, custom_fields, StoreLookup.load())
    try:
        valid_rows = check_rows(lines, columns, cleaners, custom_fields, report)
    except csv.Error as error:
        raise ImportFileError(f"not a readable CSV file: {error}") from error
    check_against_records(valid_rows, report)
    report.errors.sort(key=lambda error: (error.row, columns_order(columns, error.column)))
    if report.errors or dry_run:
        return report
    try:
        report.created = write_rows(valid_rows)
    except IntegrityError as error:
        # Most likely another process added one of these emails or phones since the check.
        report.errors.append(
            RowError(0, "", "", f"nothing was imported, the database refused a row: {error}")
        )
    return report


def columns_order(columns: list[str], column: str) -> int:
    return columns.index(column) if column in columns else -1


def check_rows(
    lines: Iterator[list[Any]],
    columns: list[str],
    cleaners: dict[str, Cleaner],
    custom_fields: dict[str, CustomField],
    report: ImportReport,
) -> list[ValidRow]:
    valid_rows: list[ValidRow] = []
    first_row_of: dict[tuple[str, str], int] = {}
    errors = report.errors
    for number, cells in enumerate(lines, start=2):
        values = [cell_text(value) for value in cells]
        if not any(values):
            continue  # blank lines, often at the end of a spreadsheet
        report.rows += 1
        row = ValidRow(number)
        bad = False
        if len(values) > len(columns) and any(values[len(columns) :]):
            errors.append(RowError(number, "", "", "more cells than columns in the header"))
            bad = True
        for column, text in zip(columns, values):
            if not column or not text:
                continue
            try:
                if column == "email":
                    row.email = normalise_email(text)
                elif column == "phone":
                    row.phone = normalise_phone(phone_cell(text))
                elif column in custom_fields:
                    row.custom[column] = cleaners[column](text)
                else:
                    row.fields[column] = cleaners[column](text)
            except (InvalidIdentity, InvalidValue) as error:
                errors.append(RowError(number, column, text, f"invalid {column}: {error}"))
                bad = True
        if not row.email and not row.phone and not bad:
            errors.append(RowError(number, "", "", "no email and no phone"))
            bad = True
        for kind in ("email", "phone"):
            value = getattr(row, kind)
            if not value:
                continue
            first = first_row_of.setdefault((kind, value), number)
            if first != number:
                errors.append(RowError(number, kind, value, f"duplicate: same {kind} as row {first}"))
                bad = True
        if not bad:
            valid_rows.append(row)
    return valid_rows


def check_against_records(rows: list[ValidRow], report: ImportReport) -> None:
    """Report every row whose email or phone already belongs to a customer record.

    An import creates records; it does not silently update one that an agent may have
    corrected since the file was exported.
    """
    for kind in ("email", "phone"):
        row_of = {getattr(row, kind): row.row for row in rows if getattr(row, kind)}
        values = list(row_of)
        for start in range(0, len(values), LOOKUP_CHUNK):
            found = Identity.objects.filter(
                kind=kind, network="", value__in=values[start : start + LOOKUP_CHUNK]
            ).values_list("value", "customer_id")
            for value, customer_id in found:
                report.errors.append(
                    RowError(
                        row_of[value],
                        kind,
                        value,
                        f"duplicate: this {kind} already belongs to customer #{customer_id}",
                    )
                )


@transaction.atomic
def write_rows(rows: list[ValidRow]) -> int:
    """Insert the customers and their identities, in one transaction."""
    now = timezone.now()
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        customer_ids = insert_rows(
            Customer,
            [{**row.fields, "custom_fields": row.custom} for row in chunk],
            now=now,
            returning=True,
        )
        identities = []
        for row, customer_id in zip(chunk, customer_ids):
            if row.email:
                identities.append({"customer": customer_id, "kind": "email", "value": row.email})
            if row.phone:
                identities.append({"customer": customer_id, "kind": "phone", "value": row.phone})
        insert_rows(Identity, identities, now=now)
    return len(rows)


def insert_rows(
    model: type[Model], rows: list[dict[str, Any]], *, now: datetime, returning: bool = False
) -> list[int]:
    """Insert plain rows with multi-row INSERT statements; return their ids if asked.

    QuerySet.bulk_create spends most of a 100,000-row import building model instances and
    compiling each value (about 80 % of the time, measured): here each row is a tuple of
    column values built once. Defaults and timestamps come from the model's fields. Like
    bulk_create on SQLite and PostgreSQL, it relies on RETURNING giving ids in VALUES order.
    """
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults: dict[str, Any] = {}
    for model_field in fields:
        if model_field.name in ("created_at", "updated_at"):
            defaults[model_field.name] = now
        else:
            # The field's default, or "" for text and None for nullable fields, as Django does.
            defaults[model_field.name] = model_field.get_default()
    prepared: dict[str, Any] = {
        f.name: f.get_db_prep_save(defaults[f.name], connection) for f in fields
    }
    json_fields = {f.name for f in fields if f.get_internal_type() == "JSONField"}
    object_fields = {f.name for f in fields if f.is_relation}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    per_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch = max(1, min(500, (connection.features.max_query_params or 999) // len(fields)))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            params: list[Any] = []
            chunk = rows[start : start + batch]
            for row in chunk:
                for model_field in fields:
                    name = model_field.name
                    if name not in row:
                        params.append(prepared[name])
                    elif name in json_fields:
                        params.append(model_field.get_db_prep_save(row[name], connection))
                    elif name in object_fields and isinstance(row[name], Model):
                        params.append(row[name].pk)
                    else:
                        params.append(row[name])
            sql = (
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
                + ", ".join([per_row] * len(chunk))
            )
            if returning:
                sql += f" RETURNING {quote(model._meta.pk.column)}"  # type: ignore[union-attr]
            cursor.execute(sql, params)
            if returning:
                ids.extend(row_id for (row_id,) in cursor.fetchall())
    return ids
