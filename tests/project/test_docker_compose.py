"""docker-compose.yml cannot be run here (no Docker engine), so check it against the settings."""

from pathlib import Path

import yaml
from django.conf import settings
from django.urls import resolve

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]


def _command(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return command if isinstance(command, list) else command.split()


def test_compose_has_the_production_services():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)


def test_app_services_run_production_settings_against_compose_postgres_and_redis():
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "marketing_portal.settings.production", name
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"], name
        assert env["REDIS_URL"].startswith("redis://redis:6379"), name
        assert SERVICES[name]["env_file"] == ".env.production", name


def test_web_serves_the_project_wsgi_application_with_gunicorn():
    command = _command("web")
    assert command[0] == "gunicorn"
    assert command[1].replace(":", ".") == settings.WSGI_APPLICATION


def test_worker_consumes_every_queue_the_settings_route_to():
    command = _command("worker")
    assert command[:3] == ["celery", "--app=marketing_portal", "worker"]
    queues = next(arg for arg in command if arg.startswith("--queues=")).removeprefix("--queues=").split(",")
    assert sorted(queues) == sorted(settings.CELERY_TASK_QUEUES_NAMES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE in queues


def test_beat_uses_the_database_scheduler_from_settings():
    command = _command("beat")
    assert "beat" in command
    assert f"--scheduler={settings.CELERY_BEAT_SCHEDULER}" in command


def test_health_checks_and_named_volumes():
    for name in ["postgres", "redis", "web", "worker"]:
        assert "healthcheck" in SERVICES[name], name
    declared = set(COMPOSE["volumes"])
    used = {
        volume.split(":", 1)[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert used and used <= declared
    assert "postgres-data" in used


def test_web_healthcheck_url_is_served_by_the_project():
    test = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "/healthz" in test
    assert resolve("/healthz").url_name == "healthz"


def test_every_production_secret_is_documented_in_the_env_example():
    example = (ROOT / "docs" / "env.example").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    for name in ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "ALLOWED_HOSTS", "POSTGRES_PASSWORD"]:
        assert name in documented


def test_the_application_connects_as_the_non_superuser_role_and_only_migrate_as_the_owner():
    # Finding 4: the app role (created by deploy/postgres/init-app-role.sh) cannot change the audit log.
    for name in ["web", "worker", "beat"]:
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://portal_app:"), name
        assert env["DATABASE_APP_ROLE"] == "portal_app", name
    migrate = SERVICES["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://portal:")
    assert "manage.py migrate" in " ".join(_command("migrate")) and "grant_app_role" in " ".join(_command("migrate"))
    init = [v for v in SERVICES["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    script = ROOT / init[0].split(":", 1)[0].removeprefix("./")
    text = script.read_text()
    assert "NOSUPERUSER" in text and "CREATE ROLE" in text
    assert SERVICES["postgres"]["environment"]["APP_DB_PASSWORD"].startswith("${APP_DB_PASSWORD:?")
