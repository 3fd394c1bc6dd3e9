"""Importing customers from CSV and XLSX: all rows or none, every bad row reported."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from comptoir.customers.identities import normalise_email, validate_email
from comptoir.customers.importing import ImportFileError, import_customers
from comptoir.customers.models import Customer, CustomField, Identity, Store
from tests.customers.conftest import EMAIL, csv_file, xlsx_file

pytestmark = pytest.mark.django_db

HEADER = ["email", "phone", "first_name", "last_name", "language", "market", "store"]


def test_a_valid_csv_creates_every_customer_with_identities():
    Store.objects.create(name="Lyon Part-Dieu", city="Lyon")
    rows = [
        HEADER,
        ["Paul.Durand@Example.fr", "06 11 22 33 44", "Paul", "Durand", "fr", "b2c", "lyon part-dieu"],
        ["sophie@example.fr", "", "Sophie", "Leroy", "en", "B2B", ""],
        ["", "+33 7 81 23 45 67", "", "", "", "", ""],
        ["", "", "", "", "", "", ""],  # a blank line is skipped, not an error
    ]

    report = import_customers(csv_file(rows), filename="clients.csv")

    assert report.ok and report.rows == 3 and report.created == 3
    paul = Identity.objects.get(value="paul.durand@example.fr").customer
    assert (paul.first_name, paul.market, paul.store.name) == ("Paul", "b2c", "Lyon Part-Dieu")
    assert paul.identities.get(kind="phone").value == "+33611223344"
    assert Identity.objects.get(value="sophie@example.fr").customer.market == "b2b"
    assert Identity.objects.filter(value="+33781234567").exists()


def test_a_malformed_csv_reports_every_bad_row_and_imports_nothing(customer):
    rows = [
        [*HEADER, "colour"],
        ["ok@example.fr", "0611223344", "Ok", "", "", "", "", ""],
        ["not-an-email", "0611223345", "", "", "", "", "", ""],
        ["bad.phone@example.fr", "12", "", "", "", "", "", ""],
        ["ok@example.fr", "", "Twice", "", "", "", "", ""],
        [EMAIL, "", "Already", "", "", "", "", ""],
        ["lang@example.fr", "", "", "", "klingon", "b2x", "Nowhere", ""],
        ["", "", "No identity", "", "", "", "", ""],
    ]

    report = import_customers(csv_file(rows, delimiter=","), filename="clients.csv")

    assert not report.ok and report.created == 0
    found = {(error.row, error.column) for error in report.errors}
    assert found == {
        (1, "colour"),
        (3, "email"),
        (4, "phone"),
        (5, "email"),
        (6, "email"),
        (7, "language"),
        (7, "market"),
        (7, "store"),
        (8, ""),
    }
    messages = {error.row: error.message for error in report.errors}
    assert messages[1] == "unknown column 'colour'"
    assert messages[5] == "duplicate: same email as row 2"
    assert messages[6] == f"duplicate: this email already belongs to customer #{customer.pk}"
    assert report.bad_rows == 7
    # Nothing of the file is in the database, not even the good row.
    assert Customer.objects.count() == 1
    assert not Identity.objects.filter(value="ok@example.fr").exists()


def test_a_valid_xlsx_is_imported_with_numbers_and_dates_as_a_spreadsheet_gives_them():
    CustomField.objects.create(name="birthday", label="Anniversaire", type="date")
    CustomField.objects.create(name="loyalty", label="Points", type="number")
    rows = [
        ["E-mail", "Téléphone", "Prénom", "birthday", "loyalty"],
        ["elodie@example.fr", 612345678, "Élodie", date(1990, 5, 17), 120],
        ["karim@example.fr", "06 98 76 54 32", "Karim", "17/05/1985", "12,5"],
    ]

    report = import_customers(xlsx_file(rows), filename="clients.xlsx")

    assert report.ok, report.errors
    elodie = Identity.objects.get(value="elodie@example.fr").customer
    assert elodie.identities.get(kind="phone").value == "+33612345678"
    assert elodie.custom_fields == {"birthday": "1990-05-17", "loyalty": 120}
    karim = Identity.objects.get(value="karim@example.fr").customer
    assert karim.custom_fields == {"birthday": "1985-05-17", "loyalty": 12.5}


def test_a_malformed_xlsx_reports_every_bad_row_and_imports_nothing():
    CustomField.objects.create(name="tier", label="Niveau", type="choice", choices=["or", "argent"])
    rows = [
        ["email", "phone", "tier"],
        ["good@example.fr", "", "or"],
        ["good@example", "", "argent"],
        ["other@example.fr", "0000", "bronze"],
        ["third@example.fr", "", ""],
    ]

    report = import_customers(xlsx_file(rows), filename="clients.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [(3, "email"), (4, "phone"), (4, "tier")]
    assert Customer.objects.count() == 0


def test_a_dry_run_checks_everything_and_writes_nothing():
    report = import_customers(
        csv_file([["email"], ["a@example.fr"], ["b@example.fr"]]), filename="c.csv", dry_run=True
    )
    assert report.ok and report.rows == 2 and report.created == 0
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "filename"),
    [(b"", "empty.csv"), (b"not a zip", "broken.xlsx"), (b"email\n", "clients.pdf")],
)
def test_an_unreadable_file_is_refused_as_a_whole(content, filename):
    import io

    with pytest.raises(ImportFileError):
        import_customers(io.BytesIO(content), filename=filename)


def test_a_windows_1252_csv_from_french_excel_is_read():
    content = "email;prénom\r\nzoe@example.fr;Zoé\r\n".encode("cp1252")
    import io

    report = import_customers(io.BytesIO(content), filename="export.csv")
    assert report.ok
    assert Customer.objects.get().first_name == "Zoé"


def test_the_command_prints_every_error_as_json_and_fails(tmp_path, capsys):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_file([["email", "age"], ["x@", "12"], ["y@example.fr", ""]]).getvalue())

    with pytest.raises(CommandError):
        call_command("import_customers", str(path), "--json")

    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["created"] == 0
    assert [(e["row"], e["column"]) for e in report["errors"]] == [(1, "age"), (2, "email")]
    assert Customer.objects.count() == 0


def test_the_command_imports_a_valid_file(tmp_path, capsys):
    path = tmp_path / "clients.csv"
    path.write_bytes(csv_file([["email"], ["x@example.fr"]]).getvalue())
    call_command("import_customers", str(path), "--dry-run")
    assert "all valid (dry run" in capsys.readouterr().out
    call_command("import_customers", str(path))
    assert "1 customers imported" in capsys.readouterr().out
    assert Identity.objects.filter(value="x@example.fr").exists()


@pytest.mark.parametrize(
    "address",
    [
        "Jeanne.Martin@Example.FR",
        "a+tag@sub.example.co.uk",
        "x@localhost",
        "x@example.invalid",
        "x@-example.fr",
        "x@example..fr",
        "x@123.45",
        "a" * 65 + "@example.fr",
        "o'brien@example.ie",
    ],
)
def test_the_fast_path_for_plain_addresses_agrees_with_email_validator(address):
    try:
        expected = validate_email(address)
    except ValueError:
        with pytest.raises(ValueError):
            normalise_email(address)
    else:
        assert normalise_email(address) == expected
