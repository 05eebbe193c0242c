"""Imports point one way: security ← customers ← billing ← analytics ← services (DESIGN.md)."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
ORDER = ["security", "customers", "billing", "analytics", "services"]
# marketing_portal.api holds cross-cutting API plumbing (pagination, errors, permissions);
# core.time the one local time zone; core.web.widgets form widgets every
# app's pages use (the ISO date picker).
SHARED = {"marketing_portal.api", "core.time", "core.web.widgets"}


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if any(name == shared or name.startswith(shared + ".") for shared in SHARED):
                continue
            top = name.split(".", 1)[0]
            if top in ORDER or top == "marketing_portal":
                found.add(top)
    return found


@pytest.mark.parametrize("app", ORDER)
def test_app_imports_only_apps_below_it(app):
    allowed = set(ORDER[: ORDER.index(app) + 1])
    violations = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue  # migrations may reference roles from security and earlier apps' states
        extra = _imported_apps(path) - allowed
        if extra:
            violations[str(path.relative_to(ROOT))] = sorted(extra)
    assert violations == {}


def test_security_imports_no_other_app_of_ours():
    for path in (ROOT / "security").rglob("*.py"):
        assert _imported_apps(path) <= {"security"}, path
