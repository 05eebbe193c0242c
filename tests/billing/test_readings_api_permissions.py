"""Who may read which meter's data through GET /api/v1/meters/{meter_no}/readings and /register-reads,
on PostgreSQL (the partitioned interval table).

Expected answers, written out from the role model (billing/migrations/0003_roles_and_integrator_groups.py)
and the rule in billing.selectors.meters_visible_to rather than derived from the code under test:

- anonymous: 403 ``not_authenticated`` (SessionAuthentication first, so no 401 challenge);
- portal customers: the customer meters of the accounts bound to them, as owner or member; any other
  meter — someone else's, an area summary meter, one that does not exist — is the same 404;
- staff: every meter (area summary meters too) with billing.view_meter and the reading kind's view
  permission — every role but the security auditor; the auditor gets the same 404 as for a meter
  that does not exist (never a 403 that would tell the meter apart);
- the AMI head-end integrator group (token): every meter; an integrator outside that group: 404.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.models import IntervalReading, Meter, Quality, RegisterRead
from customers.models import PortalBinding
from security import roles
from tests.factories import SHANGHAI, bind, make_account, make_area, make_meter, make_portal_user, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

GRANTS = importlib.import_module("billing.migrations.0003_roles_and_integrator_groups").GRANTS
HEAD_END = "integration_meter_head_end"
# Which roles read every meter (both kinds of reading), from the grants above.
STAFF_READERS = {
    roles.CUSTOMER_SERVICE_AGENT: True,
    roles.BILLING_CLERK: True,
    roles.FIELD_ENGINEER: True,
    roles.MARKETING_ANALYST: True,
    roles.SECURITY_AUDITOR: False,
    roles.SYSTEM_ADMINISTRATOR: True,
}
PERIOD = {"period_from": "2026-11-01", "period_to": "2026-11-02"}


def endpoints(meter_no: str) -> list[str]:
    return [f"/api/v1/meters/{meter_no}/readings", f"/api/v1/meters/{meter_no}/register-reads"]


@pytest.fixture
def world():
    """Accounts A and B in one transformer area with a meter each, the area's summary meter, and data."""
    area = make_area(code="A-PERM")
    meters = {
        "A": make_meter(meter_no="MA", account=make_account(area=area), multiplier=Decimal("2")),
        "B": make_meter(meter_no="MB", account=make_account(area=area)),
        "AREA": Meter.objects.create(
            meter_no="AREA-1",
            role=Meter.Role.AREA_SUMMARY,
            area=area,
            installed_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI),
            multiplier=Decimal("200"),
        ),
    }
    for meter in meters.values():
        IntervalReading.objects.create(
            meter=meter, interval_start=dt.datetime(2026, 11, 1, tzinfo=SHANGHAI), kwh=Decimal("0.25")
        )
        RegisterRead.objects.create(
            meter=meter,
            read_at=dt.datetime(2026, 11, 1, tzinfo=SHANGHAI),
            total=Decimal("100.00"),
            quality=Quality.ACTUAL,
        )
    return meters


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": response.json()["error"]["message"]}
    }


def test_the_role_table_here_matches_the_migration():
    for role, reads in STAFF_READERS.items():
        held = set(GRANTS[role])
        assert reads == ({"billing.view_meter", "billing.view_intervalreading", "billing.view_registerread"} <= held)
    assert {"billing.view_meter", "billing.view_intervalreading", "billing.view_registerread"} <= set(GRANTS[HEAD_END])


def test_customer_reads_own_meter_and_gets_404_for_anyone_elses(world):
    owner = make_portal_user()
    bind(user=owner, account=world["A"].account)
    api = client_for(owner)

    readings = api.get("/api/v1/meters/MA/readings", PERIOD)
    assert readings.status_code == 200
    assert readings.json()["results"][0]["consumption_kwh"] == "0.5000"  # 0.25 × multiplier 2
    assert api.get("/api/v1/meters/MA/register-reads").json()["count"] == 1

    not_found_bodies = set()
    for meter_no in ("MB", "AREA-1", "NO-SUCH-METER"):
        for url in endpoints(meter_no):
            response = api.get(url, PERIOD)
            assert_not_found(response)
            not_found_bodies.add(response.content)
    assert len(not_found_bodies) == 1  # someone else's, the area's and a missing meter look the same


def test_customer_b_cannot_read_customer_a(world):
    b = make_portal_user()
    bind(user=b, account=world["B"].account)
    api = client_for(b)

    for url in endpoints("MA"):
        assert_not_found(api.get(url, PERIOD))
    assert api.get("/api/v1/meters/MB/readings", PERIOD).status_code == 200


def test_a_member_binding_reads_too_until_it_is_removed(world):
    member = make_portal_user()
    binding = bind(user=member, account=world["A"].account, role=PortalBinding.Role.MEMBER)
    api = client_for(member)

    for url in endpoints("MA"):
        assert api.get(url, PERIOD).status_code == 200
    binding.delete()
    for url in endpoints("MA"):
        assert_not_found(api.get(url, PERIOD))


def test_the_area_summary_meter_is_hidden_even_from_customers_in_that_area(world):
    neighbour = make_portal_user()
    bind(user=neighbour, account=world["A"].account)
    bind(user=neighbour, account=world["B"].account)

    for url in endpoints("AREA-1"):
        assert_not_found(client_for(neighbour).get(url, PERIOD))


@pytest.mark.parametrize("role", list(STAFF_READERS))
def test_staff_roles(world, role):
    api = client_for(make_staff(role=role))

    for meter_no in ("MA", "MB", "AREA-1"):
        for url in endpoints(meter_no):
            response = api.get(url, PERIOD)
            if STAFF_READERS[role]:
                assert response.status_code == 200, (role, url)
            else:
                assert_not_found(response)
    if STAFF_READERS[role]:
        area = api.get("/api/v1/meters/AREA-1/readings", {**PERIOD, "group_by": "day"}).json()["results"]
        assert area[0]["consumption_kwh"] == "50.0000"  # 0.25 × multiplier 200
    for url in endpoints("NO-SUCH-METER"):
        assert_not_found(api.get(url, PERIOD))


def test_head_end_integrator_with_a_token(world):
    user = get_user_model().objects.create_user(username="hes-readback", kind="integrator")
    user.groups.add(Group.objects.get(name=HEAD_END))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    for meter_no in ("MA", "MB", "AREA-1"):
        for url in endpoints(meter_no):
            assert api.get(url, PERIOD).status_code == 200, url

    outsider = get_user_model().objects.create_user(username="other-system", kind="integrator")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=outsider).key}")
    for url in endpoints("MA"):
        assert_not_found(other.get(url, PERIOD))


def test_anonymous_and_a_bad_token_are_refused(world):
    for url in [*endpoints("MA"), *endpoints("NO-SUCH-METER")]:
        response = client_for(None).get(url, PERIOD)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_authenticated"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert bad.get("/api/v1/meters/MA/readings").status_code in (401, 403)


def test_an_inactive_customer_reads_nothing(world):
    owner = make_portal_user()
    bind(user=owner, account=world["A"].account)
    owner.is_active = False
    owner.save()
    # force_authenticate bypasses the authentication backends; the queryset still refuses an inactive user.
    for url in endpoints("MA"):
        assert_not_found(client_for(owner).get(url, PERIOD))


def test_the_endpoints_are_read_only(world):
    api = client_for(make_staff(role=roles.SYSTEM_ADMINISTRATOR))
    for url in endpoints("MA"):
        assert api.post(url, {}, format="json").status_code == 405
        assert api.delete(url).status_code == 405
