"""Standby (availability) payments of a contracted program whose season and terms start mid-month: the
first month is paid pro rata to the days enrolled (it used to find no terms on the 1st and pay
nothing), once per enrolment and month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from billing.models import LedgerEntry
from services.actions.demand_response.settlement import post_availability_payments
from services.models import DREnrolment, DRProgram
from tests.factories import make_account
from tests.services.dr_helpers import at, make_program

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_season_starting_mid_month_pays_its_first_month_pro_rata():
    program = make_program(
        code="ind-capacity",
        notice_class=DRProgram.NoticeClass.CONTRACTED,
        valid_from=dt.date(2026, 9, 10),
        valid_to=dt.date(2027, 1, 1),
        eligible_categories=["industrial"],
    )
    terms = program.terms.get()
    terms.availability_price = D("2")
    terms.save(update_fields=["availability_price"])
    account = make_account(category="industrial", contracted_kva=D("630"))
    enrolment = DREnrolment.objects.create(
        program=program,
        account=account,
        committed_kw=D("100"),
        terms=terms,
        accepted_at=at(dt.date(2026, 9, 11), 10),
        channel="hall",
    )

    assert post_availability_payments(month=dt.date(2026, 9, 1), now=at(dt.date(2026, 10, 1), 9)) == 1
    assert post_availability_payments(month=dt.date(2026, 9, 1), now=at(dt.date(2026, 10, 2), 9)) == 0
    credit = LedgerEntry.objects.get(posting_key=f"dr:availability:{enrolment.pk}:2026-09")
    # 11–30 September: 20 of 30 days × 100 kW × ¥2 = ¥133.333… → ¥133.33 credited.
    assert (credit.kind, credit.amount) == ("credit", D("-133.33"))
    assert post_availability_payments(month=dt.date(2026, 10, 1), now=at(dt.date(2026, 11, 1), 9)) == 1
    assert LedgerEntry.objects.get(posting_key=f"dr:availability:{enrolment.pk}:2026-10").amount == D("-200.00")
