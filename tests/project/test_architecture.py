"""The layout DESIGN.md and docs/architecture.md describe, checked against the code: the import
contracts hold, every app has the same rooms, no demo code in a services room, the map is current."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOMAIN_APPS = ["customers", "billing", "analytics", "services"]
ROOMS = ["models", "selectors", "api", "views", "forms", "admin", "demo", "urls.py", "apps.py"]


def test_the_import_contracts_hold():
    """import-linter (contracts in pyproject.toml) over the whole project, as CI runs it."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("app", DOMAIN_APPS)
def test_every_domain_app_has_the_same_rooms(app):
    root = ROOT / app
    missing = [room for room in ROOMS if not (root / room).exists()]
    write_room = "actions" if app == "services" else "services"
    assert (root / write_room).is_dir(), f"{app} has no {write_room}/ room"
    assert (root / "templates" / app).is_dir(), f"{app}'s templates are not in {app}/templates/{app}/"
    assert missing == []


def test_the_project_templates_folder_holds_only_the_base_templates():
    found = sorted(str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.html"))
    assert found == ["404.html", "admin/index.html", "base.html"]


@pytest.mark.parametrize("app", [*DOMAIN_APPS, "security", "core"])
def test_no_demo_code_in_a_services_room(app):
    write_room = ROOT / app / ("actions" if app == "services" else "services")
    if not write_room.is_dir():
        return
    offenders = []
    for path in write_room.rglob("*.py"):
        if "demo" in path.stem:
            offenders.append(str(path.relative_to(ROOT)))
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [module or ""]
            if any(".demo" in name or name.endswith("demo") for name in names):
                offenders.append(f"{path.relative_to(ROOT)} imports {names}")
    assert offenders == []


def test_marketing_portal_is_only_wiring():
    modules = sorted(str(p.relative_to(ROOT / "marketing_portal")) for p in (ROOT / "marketing_portal").rglob("*.py"))
    assert modules == [
        "__init__.py",
        "asgi.py",
        "celery_app.py",
        "settings/__init__.py",
        "settings/base.py",
        "settings/local.py",
        "settings/production.py",
        "settings/test.py",
        "startup.py",
        "urls.py",
        "wsgi.py",
    ]


def test_the_architecture_map_is_generated_from_the_code():
    from django.core.management import call_command

    call_command("architecture_diagram", check=True)
