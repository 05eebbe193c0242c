"""The API's one error shape, and the permission class behind it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.test import APIClient, APIRequestFactory

from core.api.errors import json_exception_handler
from customers.api.permissions import ModelPermissionsWithView
from customers.models import Customer
from security import roles
from security.fields import EncryptedLookupError
from tests.factories import make_staff


def handle(exc):
    return json_exception_handler(exc, {}).data["error"], json_exception_handler(exc, {}).status_code


def test_django_validation_error_keeps_field_names_and_renames_all():
    error, status = handle(DjangoValidationError({"phone": ["bad"], NON_FIELD_ERRORS: ["clash"]}))

    assert status == 400
    assert error == {
        "status": 400,
        "code": "invalid",
        "message": "The request has invalid fields.",
        "fields": {"phone": ["bad"], "non_field_errors": ["clash"]},
    }


def test_plain_django_validation_error_becomes_non_field_errors():
    error, status = handle(DjangoValidationError("nope"))

    assert (status, error["fields"]) == (400, {"non_field_errors": ["nope"]})


def test_encrypted_lookup_is_a_400_that_does_not_echo_the_internal_message():
    error, status = handle(EncryptedLookupError("customers.Customer.phone is encrypted: 'icontains' refused"))

    assert status == 400
    assert error["fields"] == {"non_field_errors": ["This field cannot be searched or ordered."]}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404("No such account"), 404, "not_found"),
        (DjangoPermissionDenied(), 403, "permission_denied"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.MethodNotAllowed("DELETE"), 405, "method_not_allowed"),
        (exceptions.ParseError(), 400, "parse_error"),
    ],
)
def test_other_errors_have_status_code_and_message(exc, status, code):
    error, got_status = handle(exc)

    assert (got_status, error["status"], error["code"]) == (status, status, code)
    assert error["message"] and "fields" not in error


def test_unexpected_exceptions_are_left_to_django():
    assert json_exception_handler(RuntimeError("boom"), {}) is None


class _FakeView:
    queryset = Customer.objects.none()

    def get_queryset(self):
        return self.queryset

    def get(self): ...

    def post(self): ...


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "method", "allowed"),
    [
        (roles.SECURITY_AUDITOR, "get", False),  # DRF's DjangoModelPermissions would allow this read
        (roles.SECURITY_AUDITOR, "head", False),
        (roles.SECURITY_AUDITOR, "options", False),
        (roles.FIELD_ENGINEER, "get", True),
        (roles.FIELD_ENGINEER, "post", False),
        (roles.CUSTOMER_SERVICE_AGENT, "post", True),
    ],
)
def test_model_permissions_with_view_require_view_for_reads(role, method, allowed):
    request = getattr(APIRequestFactory(), method)("/")
    request.user = make_staff(role=role)
    view = _FakeView()
    view.head = view.options = view.get

    assert ModelPermissionsWithView().has_permission(request, view) is allowed


def test_model_permissions_with_view_refuse_anonymous_before_anything_else():
    request = APIRequestFactory().delete("/")
    request.user = AnonymousUser()

    assert ModelPermissionsWithView().has_permission(request, _FakeView()) is False


@pytest.mark.django_db
def test_unsupported_method_is_405_for_any_signed_in_user():
    request = APIRequestFactory().delete("/")
    request.user = make_staff(role=roles.SECURITY_AUDITOR)

    with pytest.raises(exceptions.MethodNotAllowed):
        ModelPermissionsWithView().has_permission(request, _FakeView())


@pytest.mark.django_db
def test_error_shape_end_to_end():
    anonymous = APIClient().get("/api/v1/customers")
    client = APIClient()
    client.force_login(make_staff(role=roles.SECURITY_AUDITOR))
    forbidden = client.get("/api/v1/customers")
    not_allowed = client.delete("/api/v1/customers/00000000-0000-0000-0000-000000000000")

    assert anonymous.status_code == 403 and anonymous.json()["error"]["code"] == "not_authenticated"
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "permission_denied"
    assert not_allowed.status_code == 405 and not_allowed.json()["error"]["code"] == "method_not_allowed"
    for response in (anonymous, forbidden, not_allowed):
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"status", "code", "message"}
