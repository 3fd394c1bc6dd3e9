"""Customer import benchmark: rows per second through `comptoir import-customers`.

Generates a file of French customers (email, phone, names, language, market, age bracket),
then, each in its own process on a fresh SQLite database:
- ours: comptoir.customers.importing.import_customers (every row validated, bulk inserts in one
  transaction), on CSV and on XLSX;
- row by row: the same rows through the service an agent form or the API uses
  (`customers.services.create_customer`, one record and its identities at a time);
- django-import-export 4.4 (the usual Django choice): its default ModelResource on the same
  CSV, profile columns only (it has no notion of our identities), in one transaction.
The two baselines run on fewer rows by default (they are slow); figures are rows per second.

    .venv/bin/python -m pip install -e '.[bench]'
    .venv/bin/python bench/customer_import.py [--rows 100000] [--xlsx-rows 100000]
                                              [--baseline-rows 10000] [--database sqlite|postgres]
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench"

FIRST_NAMES = ["Jeanne", "Paul", "Élodie", "Karim", "Sophie", "Luc", "Chloé", "Hugo", "Inès"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy"]
HEADER = ["email", "phone", "first_name", "last_name", "language", "market", "age_bracket"]


def generate_rows(count: int) -> list[list[str]]:
    rng = random.Random(42)
    rows = []
    for number in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}.{number}@example.fr"
        phone = f"06 {number // 1_000_000 % 100:02d} {number // 10_000 % 100:02d} "
        phone += f"{number // 100 % 100:02d} {number % 100:02d}"
        rows.append(
            [
                email,
                phone,
                first,
                last,
                rng.choice(["fr", "en", ""]),
                rng.choice(["b2c", "b2b"]),
                rng.choice(["under_25", "25_34", "35_49", "50_64", "65_plus", ""]),
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


# --- one measurement, in a child process with its own database ---------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def measure(mode: str, path: Path) -> dict[str, float]:
    setup_django()
    from comptoir.customers.models import Customer

    started = time.perf_counter()
    if mode == "ours":
        from comptoir.customers.importing import import_customers

        with path.open("rb") as stream:
            report = import_customers(stream, filename=path.name)
        assert report.ok, report.errors[:5]
    elif mode == "row-by-row":
        from comptoir.customers.services import create_customer

        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter=";")
            for row in reader:
                create_customer(
                    values={k: row[k] for k in HEADER[2:]},
                    emails=[row["email"]],
                    phones=[row["phone"]],
                )
    else:
        import tablib
        from import_export import resources

        class CustomerResource(resources.ModelResource):
            class Meta:
                model = Customer
                fields = ("first_name", "last_name", "language", "market", "age_bracket")
                import_id_fields: list[str] = []

        dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
        result = CustomerResource().import_data(dataset, dry_run=False, use_transactions=True)
        assert not result.has_errors() and not result.has_validation_errors()
    seconds = time.perf_counter() - started
    return {"rows": Customer.objects.count(), "seconds": seconds}


def run_child(mode: str, path: Path, database: str) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    env = {**os.environ, "COMPTOIR_DATA_DIR": str(data_dir), "COMPTOIR_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS comptoir_bench")
            connection.execute("CREATE DATABASE comptoir_bench")
        env["DATABASE_URL"] = POSTGRES_BENCH_URL
    command = [sys.executable, __file__, "--child", mode, str(path)]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return

    directory = Path(tempfile.mkdtemp(prefix="bench-customer-import-"))
    rows = generate_rows(max(args.rows, args.xlsx_rows, args.baseline_rows))
    files = {"csv": directory / "customers.csv", "xlsx": directory / "customers.xlsx"}
    write_csv(files["csv"], rows[: args.rows])
    if args.xlsx_rows:
        write_xlsx(files["xlsx"], rows[: args.xlsx_rows])
    baseline_file = directory / "baseline.csv"
    write_csv(baseline_file, rows[: args.baseline_rows])

    runs = [("comptoir import (csv)", "ours", files["csv"])]
    if args.xlsx_rows:
        runs.append(("comptoir import (xlsx)", "ours", files["xlsx"]))
    if not args.no_baseline:
        runs.append(("row by row, create_customer (csv)", "row-by-row", baseline_file))
        runs.append(("django-import-export 4.4.3 (csv)", "peer", baseline_file))
    print(f"database: {args.database}; files in {directory}")
    print(f"{'system':<36} {'rows':>8} {'seconds':>8} {'rows/s':>8}")
    for label, mode, path in runs:
        result = run_child(mode, path, args.database)
        rate = result["rows"] / result["seconds"]
        print(f"{label:<36} {result['rows']:>8} {result['seconds']:>8.1f} {rate:>8.0f}")


if __name__ == "__main__":
    main()
