"""Real Celery worker processes for integration tests, consuming from the test Redis broker and
using the test database (tests that need it to see rows must use django_db(transaction=True))."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from marketing_portal.celery_app import app as celery_app

ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    params = connection.settings_dict
    return f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{params['NAME']}"


def start_worker(*, name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``celery worker`` on every project queue in its own process group and wait until it
    answers a ping. The caller stops it with stop_worker (or kills it)."""
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        **(env or {}),
    }
    log_path = ROOT / "var" / f"test-celery-{name}.log"
    log_path.parent.mkdir(exist_ok=True)
    hostname = f"{name}-{os.getpid()}@%h"
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app=marketing_portal",
                "worker",
                f"--queues={','.join(settings.CELERY_TASK_QUEUES_NAMES)}",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                f"--hostname={hostname}",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    expected = hostname.replace("%h", "")
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"celery worker exited with {process.returncode}; see {log_path}")
        replies = celery_app.control.ping(timeout=1.0)
        if any(next(iter(reply)).startswith(expected) for reply in replies):
            return process
    stop_worker(process)
    pytest.fail(f"celery worker did not answer within 60 s; see {log_path}")


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """One worker for the whole session, for tests that only need tasks to run somewhere else."""
    with django_db_blocker.unblock():
        celery_app.conf.task_always_eager = False
        process = start_worker(name="session-worker")
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        stop_worker(process)


@pytest.fixture
def broker_mode():
    """Send tasks through the broker (not eagerly) for the duration of one test."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True
