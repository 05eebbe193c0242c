"""Writes the app-dependency diagram of docs/architecture.md from the code's real imports (grimp, the
graph import-linter checks), so the map cannot drift from the code: tests/project/test_architecture.py
fails when the committed diagram differs from what this command would write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

APPS = ["marketing_portal", "services", "analytics", "billing", "customers", "security", "core"]
ROOMS = ["models", "services", "actions", "selectors", "api", "views", "forms", "admin", "tasks", "demo"]
BEGIN, END = "<!-- diagram:begin (python manage.py architecture_diagram) -->", "<!-- diagram:end -->"
DOC = Path(settings.BASE_DIR) / "docs" / "architecture.md"


def app_edges() -> dict[tuple[str, str], int]:
    """(importer app, imported app) → number of importing modules, for imports between our apps."""
    import grimp

    graph = grimp.build_graph(*APPS, cache_dir=None)
    edges: dict[tuple[str, str], int] = {}
    for module in graph.modules:
        source = module.split(".")[0]
        if ".migrations." in module:
            continue
        targets = {imported.split(".")[0] for imported in graph.find_modules_directly_imported_by(module)}
        for target in targets - {source}:
            if target in APPS:
                edges[(source, target)] = edges.get((source, target), 0) + 1
    return edges


def rooms_of(app: str) -> list[str]:
    root = Path(settings.BASE_DIR) / app
    return [room for room in ROOMS if (root / room).is_dir() or (root / f"{room}.py").is_file()]


def diagram() -> str:
    lines = ["```mermaid", "flowchart TD"]
    for app in APPS:
        rooms = rooms_of(app)
        label = f"{app}/" + (f"<br/><small>{' · '.join(rooms)}</small>" if rooms else "")
        lines.append(f'    {app}["{label}"]')
    for (source, target), count in sorted(app_edges().items()):
        lines.append(f"    {source} -->|{count}| {target}")
    lines.append("```")
    return "\n".join(lines)


def rendered(text: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{diagram()}\n{END}{tail}"


class Command(BaseCommand):
    help = "Regenerate the app-dependency diagram in docs/architecture.md from the imports."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="exit 1 if docs/architecture.md is out of date")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        current = DOC.read_text()
        fresh = rendered(current)
        if check:
            if fresh != current:
                self.stderr.write("docs/architecture.md is out of date: run python manage.py architecture_diagram")
                raise SystemExit(1)
            return
        DOC.write_text(fresh)
        self.stdout.write(f"wrote {DOC}")
