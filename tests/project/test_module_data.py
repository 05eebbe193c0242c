"""tests/module_data.py: rows built for a module are seen by each of its tests, while what a test writes
is undone before the next one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group

from tests.module_data import kept_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_group(django_db_setup, django_db_blocker) -> Iterator[int]:
    yield from kept_for_module(django_db_blocker, lambda: Group.objects.create(name="module-shared").pk)


def test_first_test_sees_the_module_rows_and_writes_its_own(shared_group):
    assert Group.objects.get(pk=shared_group).name == "module-shared"
    Group.objects.create(name="written-by-the-first-test")
    Group.objects.filter(pk=shared_group).update(name="renamed-by-the-first-test")


def test_second_test_sees_the_module_rows_as_built_and_nothing_of_the_first(shared_group):
    # Tests run in file order: the first test's insert and rename were rolled back with its savepoint.
    assert Group.objects.get(pk=shared_group).name == "module-shared"
    assert not Group.objects.filter(name="written-by-the-first-test").exists()
