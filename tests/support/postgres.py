"""A throwaway PostgreSQL 15 server on a free loopback port, for tests and benchmarks.

As root, initdb and pg_ctl run as the `postgres` user (PostgreSQL refuses to run as root).
"""

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


class PostgresUnavailable(RuntimeError):
    pass


@dataclass
class PostgresServer:
    data_dir: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        _run_as_postgres(["pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_postgres(*, durable: bool = False) -> PostgresServer:
    """Start a fresh cluster. `durable=False` turns fsync off: tests need speed, not crash safety."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            raise PostgresUnavailable(f"{tool} is not on PATH (install PostgreSQL 15)")
    base = Path(tempfile.mkdtemp(prefix="payments-pg-"))
    data_dir = base / "data"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    try:
        _run_as_postgres(
            ["initdb", "-D", str(data_dir), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]
        )
        options = (
            f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
            "-c max_connections=200 -c shared_buffers=256MB"
        )
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        _run_as_postgres(
            ["pg_ctl", "-D", str(data_dir), "-w", "-t", "60", "-l", str(base / "log"), "-o", options, "start"]
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(
            f"could not start PostgreSQL: {exc} {detail.decode(errors='replace')}"
        ) from exc
    return PostgresServer(data_dir, port)


def _run_as_postgres(command: list[str], check: bool = True) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=check, capture_output=True, cwd="/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
