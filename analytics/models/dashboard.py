"""The permission to read the staff overview dashboards.

The dashboards aggregate billing data and own no table, so the permission hangs on an unmanaged model
without one (no default add/change/delete/view permissions: only ``analytics.view_dashboards``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DashboardAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboards", _("Can view the analytics dashboards"))]
        verbose_name = _("analytics dashboards")
        verbose_name_plural = _("analytics dashboards")

    def __str__(self) -> str:
        return "analytics dashboards"
