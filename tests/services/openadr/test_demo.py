"""seed_demo's OpenADR part: one demo aggregator VEN with two resources on two accounts, usable at once
with the printed credentials."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from services.demo.openadr import DEMO_VEN_CLIENT_ID, DEMO_VEN_SECRET, seed_openadr_demo
from services.models import Ven
from tests.factories import make_account

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_demo_aggregator_logs_in_with_the_printed_credentials(vtn):
    make_account(), make_account()
    summary = seed_openadr_demo(as_of=clock.today())
    assert f"{DEMO_VEN_CLIENT_ID} secret {DEMO_VEN_SECRET}" in summary
    assert seed_openadr_demo(as_of=clock.today() + dt.timedelta(days=1)) == summary  # idempotent
    ven = Ven.objects.get(client_id=DEMO_VEN_CLIENT_ID)
    assert ven.resources.filter(account__isnull=False).count() == 2
    token = vtn.token(DEMO_VEN_CLIENT_ID, DEMO_VEN_SECRET)
    assert [p["programName"] for p in vtn.get("/programs", token=token).json()] == ["openadr-demo-shave"]
    assert len(vtn.get("/resources", token=token).json()) == 2
