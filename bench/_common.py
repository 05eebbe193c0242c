"""Helpers shared by the benchmarks: the machine's description and a throwaway benchmark database."""

from __future__ import annotations

import base64
import platform
import secrets
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
from psycopg2 import sql


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def connect(url: str, *, dbname: str | None = None):
    parsed = urlparse(url)
    return psycopg2.connect(
        dbname=dbname or parsed.path.lstrip("/"),
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
    )


def _run_admin(url: str, *statements: sql.Composable) -> None:
    admin = connect(url, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    admin.close()


def recreate_database(url: str) -> None:
    """Drop and create the benchmark database; refuses any name without "bench" in it."""
    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: a benchmark database name must contain 'bench'")
    identifier = sql.Identifier(name)
    _run_admin(
        url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier),
        sql.SQL("CREATE DATABASE {}").format(identifier),
    )


def drop_database(url: str) -> None:
    _run_admin(
        url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(urlparse(url).path.lstrip("/")))
    )


def throwaway_key() -> str:
    """A random 32-byte key, base64, for the benchmark's field-encryption settings."""
    return base64.b64encode(secrets.token_bytes(32)).decode()
