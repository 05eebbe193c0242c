"""A real Celery worker process for integration tests, consuming from the test Redis broker and
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


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """Start ``celery worker`` on every project queue; yield once it answers a ping; stop it."""
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
    }
    log_path = ROOT / "var" / "test-celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    hostname = f"test-worker-{os.getpid()}@%h"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "--app=marketing_portal", "worker",
                f"--queues={','.join(settings.CELERY_TASK_QUEUES_NAMES)}",
                "--pool=prefork", "--concurrency=1", "--loglevel=INFO", f"--hostname={hostname}",
                "--without-gossip", "--without-mingle",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    celery_app.conf.task_always_eager = False
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"celery worker exited with {process.returncode}; see {log_path}")
            if celery_app.control.ping(timeout=1.0):
                break
        else:
            pytest.fail(f"celery worker did not answer within 60 s; see {log_path}")
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
