"""Fixtures shared by the billing unit tests."""

from decimal import Decimal

import pytest

from customers.models import Account
from tests.factories import make_account, make_meter


@pytest.fixture
def residential():
    """A residential account (8 kVA) with one meter R1 (multiplier 1) installed 1 Jan 2026."""
    account = make_account(category=Account.Category.RESIDENTIAL, contracted_kva=Decimal("8"))
    meter = make_meter(account=account, meter_no="R1")
    return account, meter
