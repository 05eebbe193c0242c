"""Extra panels for the staff overview dashboard, contributed by apps analytics may not import.

The services app (service-request volumes, SLA, satisfaction) registers its panels from its
AppConfig.ready()::

    from analytics.views import panels
    panels.register(key="requests", title=_("Service requests"), build=request_volume_table)

``build(filters)`` gets the page's ``analytics.selectors.dashboard.DashboardFilters`` and returns an
``core.web.exports.Table`` (columns, rows, optional chart spec); the overview draws it after its own
panels and offers the same CSV / Excel export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django_stubs_ext import StrOrPromise

if TYPE_CHECKING:
    from analytics.selectors.dashboard import DashboardFilters
    from core.web.exports import Table


@dataclass(frozen=True)
class Panel:
    key: str
    title: StrOrPromise
    build: Callable[[DashboardFilters], Table]


_registry: dict[str, Panel] = {}


def register(*, key: str, title: StrOrPromise, build: Callable[[DashboardFilters], Table]) -> None:
    """Add (or, with the same key, replace: ready() may run twice in tests) a panel."""
    _registry[key] = Panel(key=key, title=title, build=build)


def unregister(*, key: str) -> None:
    _registry.pop(key, None)


def registered_panels() -> list[Panel]:
    return list(_registry.values())
