"""Extra panels for the staff overview dashboard, contributed by apps analytics may not import.

The services app (service-request volumes, SLA, satisfaction) registers its panels from its
AppConfig.ready()::

    from analytics.views import panels
    panels.register(key="requests", title=_("Service requests"), build=request_volume_table)

``build(filters)`` gets the page's ``analytics.selectors.dashboard.DashboardFilters`` and returns an
``core.web.exports.Table`` (columns, rows, optional chart spec); the overview draws it after its own
panels and offers the same CSV / Excel export.

A panel that needs a choice of its own (e.g. which demand-response event to chart) names its query
parameters with ``params=("dr_event",)``; it is then built as ``build(filters, params)`` with a dict
of those parameters from the page's query string (missing ones absent), the export links carry them
along, and the panel may offer the choice with ``table.extra["picker"] = {"name": "dr_event",
"label": …, "options": [(value, label), …], "selected": value}`` (a small GET form in its header).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_stubs_ext import StrOrPromise

if TYPE_CHECKING:
    from analytics.selectors.dashboard import DashboardFilters
    from core.web.exports import Table


@dataclass(frozen=True)
class Panel:
    key: str
    title: StrOrPromise
    build: Callable[..., Table]
    params: tuple[str, ...] = ()

    def table(self, filters: DashboardFilters, query: Mapping[str, Any] | None = None) -> Table:
        """Build the table; a panel with ``params`` gets those of ``query`` (the request's GET)."""
        if not self.params:
            return self.build(filters)
        query = query or {}
        return self.build(filters, {name: query.get(name) for name in self.params if query.get(name)})


_registry: dict[str, Panel] = {}


def register(*, key: str, title: StrOrPromise, build: Callable[..., Table], params: tuple[str, ...] = ()) -> None:
    """Add (or, with the same key, replace: ready() may run twice in tests) a panel."""
    _registry[key] = Panel(key=key, title=title, build=build, params=tuple(params))


def unregister(*, key: str) -> None:
    _registry.pop(key, None)


def registered_panels() -> list[Panel]:
    return list(_registry.values())
