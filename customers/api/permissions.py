"""Permission classes for /api/v1/.

Permission classes decide whether a user may use an endpoint at all; which rows they reach is decided
by the queryset (``customers.access``), so an object outside it is a 404, never a 403.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions, OperandHolder

from customers.access import is_portal_customer

VIEW = "%(app_label)s.view_%(model_name)s"


def _method_allowed_here(request, view) -> bool:
    # A viewset route only binds the methods it serves (``self.get = self.list`` …); OPTIONS is on APIView.
    return hasattr(view, request.method.lower())


class ModelPermissionsWithView(DjangoModelPermissions):
    """DjangoModelPermissions that also requires ``view_<model>`` for reads, which DRF's does not.

    An unsupported method is a 405 for every signed-in user (whatever their role), so the answer says
    something about the endpoint and nothing about the caller; anonymous callers get 401/403 first.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if not _method_allowed_here(request, view):
            raise exceptions.MethodNotAllowed(request.method)
        return super().has_permission(request, view)


class PortalCustomerReadOnly(BasePermission):
    """Business-hall customers may read; their queryset keeps them to their own bound accounts."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS and is_portal_customer(request.user)


# Accounts and customers: portal customers read their own, staff and integrators by model permission.
PortalReadOrModelPermissions: OperandHolder = PortalCustomerReadOnly | ModelPermissionsWithView
