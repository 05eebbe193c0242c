"""Customer records as the API and the staff console list and search them."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from customers.access import customers_visible_to
from customers.models import Customer
from customers.models.customers import CustomerQuerySet
from security.backends import looks_like_mobile
from security.normalize import normalize_identifier

ID_LIKE = re.compile(r"^[0-9A-Z]{18}$")
ACCOUNT_NUMBER_LIKE = re.compile(r"^\d{10}$")


def customer_list(*, user) -> QuerySet[Customer]:
    return customers_visible_to(user=user).prefetch_related("tags")


def customers_by_identifier(*, queryset: CustomerQuerySet, term: str) -> tuple[QuerySet[Customer], bool] | None:
    """The staff console's search box: an exact mobile number or ID number / credit code goes through the
    blind index, a 10-digit term is an account number. Returns (results, may_have_duplicates), or None
    when ``term`` is none of these (the caller then searches names as usual)."""
    term = term.strip()
    normalized = normalize_identifier(term)
    if looks_like_mobile(term):
        return queryset.matching("phone", term), False
    if ID_LIKE.match(normalized):
        return queryset.matching("id_number", normalized), False
    if ACCOUNT_NUMBER_LIKE.match(term):
        return queryset.filter(accounts__number=term), True
    return None
