"""Admin building blocks shared by every app's console."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core import clock
from core.calendar import years_without_schedule


class ReadOnlyMixin:
    """Rows written only by the system (readings, bills, ledger, results): staff look, never edit."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin[Any]):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline[Any, Any]):
    extra = 0


def warn_missing_schedules(request: HttpRequest) -> None:
    """On staff pages whose dates count working days: a visible warning per year with no schedule."""
    for year in years_without_schedule(today=clock.today()):
        messages.warning(
            request,
            _(
                "No holiday schedule is known for %(year)s: working days count only weekends and the fixed "
                "holidays (1 Jan, 1 May, 1–3 Oct), so time limits there are provisional. Enter the State "
                "Council's schedule in the working calendar."
            )
            % {"year": year},
        )


def translated_column(attribute: str, *, description: Any, ordering: str | None = None) -> Any:
    """An admin column (list_display / readonly field) showing a stored English source string — the
    service catalogue's names, labels and descriptions — in the viewer's language, through gettext."""
    from django.utils.translation import gettext

    @admin.display(description=description, ordering=ordering or attribute)
    def column(self: Any, obj: Model) -> str:
        value = getattr(obj, attribute)
        return gettext(value) if value else ""

    return column
