"""Ingest benchmark: messages per second through parse + thread + store.

Comptoir on SQLite and PostgreSQL, and django-helpdesk's email import on the same messages as
the peer baseline, all in the same run. Each measurement runs in its own process, one
process at a time (one core for Python; PostgreSQL's server runs beside it).

    .venv/bin/python bench/ingest/run.py [--messages 10000] [--database sqlite|postgres|both]
                                         [--no-peer]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PEER_VENV = REPO / "bench" / ".peer" / "venv"
PEER_REQUIREMENTS = ["Django>=5.2,<5.3", "django-helpdesk==2.6.1"]
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_URL = "postgres://postgres@127.0.0.1:5432/comptoir_bench"

sys.path.insert(0, str(HERE))
from messages import generate  # noqa: E402


def write_messages(count: int, directory: Path) -> None:
    for number, raw in enumerate(generate(count)):
        (directory / f"{number:06d}.eml").write_bytes(raw)


def run_json(command: list[str], env: dict[str, str]) -> dict[str, float]:
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def recreate_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS comptoir_bench")
        connection.execute("CREATE DATABASE comptoir_bench")


def measure_comptoir(directory: Path, database: str, mode: str) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    env = {**os.environ, "COMPTOIR_DATA_DIR": str(data_dir), "COMPTOIR_LOG_LEVEL": "WARNING"}
    if database == "postgres":
        recreate_postgres_database()
        env["DATABASE_URL"] = POSTGRES_BENCH_URL
    else:
        env.pop("DATABASE_URL", None)
    return run_json([sys.executable, str(HERE / "ours.py"), str(directory), mode], env)


def ensure_peer_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_REQUIREMENTS], check=True)
    return python


def measure_peer(directory: Path) -> dict[str, float]:
    return run_json([str(ensure_peer_venv()), str(HERE / "peer.py"), str(directory)], dict(os.environ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    write_messages(args.messages, directory)
    print(f"{args.messages} messages (~60 % new requests, ~40 % replies by In-Reply-To) in {directory}")

    results: dict[str, dict[str, float]] = {}
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for database in databases:
        for mode in ("batch", "single"):
            results[f"comptoir {mode} ({database})"] = measure_comptoir(directory, database, mode)
    if not args.no_peer:
        results["django-helpdesk 2.6.1 (sqlite)"] = measure_peer(directory)

    print(f"\n{'system':34} {'msg/s':>9} {'seconds':>9} {'conversations':>14} {'stored':>8}")
    for name, result in results.items():
        print(f"{name:34} {result['rate']:9.0f} {result['seconds']:9.1f} "
              f"{result['conversations']:14.0f} {result['stored']:8.0f}")
    peer = results.get("django-helpdesk 2.6.1 (sqlite)")
    if peer:
        for name, result in results.items():
            if name.startswith("comptoir"):
                print(f"{name} / django-helpdesk: {result['rate'] / peer['rate']:.1f}x")


if __name__ == "__main__":
    main()
