"""Transactional tests restore what the migrations seeded (serialized rollback), also once the browser runs.

Playwright's sync API runs an event loop in the test thread; from then on Django's connection handler
gives the thread new connection objects, and the serialized contents of the test database stayed on
the old ones — every transactional test after the first browser test silently started from a flushed
database (no role groups, no tariffs). tests/support/browser.py moves the contents over.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from security import roles

pytestmark = pytest.mark.django_db(transaction=True)


def test_seeded_rows_are_there_after_the_browser_started(chromium_browser):
    assert hasattr(connection, "_test_serialized_contents")
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)
    Group.objects.filter(name__in=roles.ALL_ROLES).delete()  # the flush after this test empties it anyway


def test_and_again_in_the_next_transactional_test(chromium_browser):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)
