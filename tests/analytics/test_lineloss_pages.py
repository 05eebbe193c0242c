"""Line-loss staff pages, exports and API: content for the analyst, who may see them, bad input.

Who may read line loss, written out from analytics/migrations/0004_lineloss_permissions.py: marketing
analysts, billing clerks, field engineers and system administrators; not customer-service agents,
security auditors, portal customers or anonymous callers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from analytics.models import AreaLossDay
from analytics.services.lineloss import compute_line_loss
from core import clock
from security import roles
from tests.analytics.test_lineloss import AS_OF, DAY, Area
from tests.factories import bind, make_account, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

READERS = {
    roles.MARKETING_ANALYST: True,
    roles.BILLING_CLERK: True,
    roles.FIELD_ENGINEER: True,
    roles.SYSTEM_ADMINISTRATOR: True,
    roles.CUSTOMER_SERVICE_AGENT: False,
    roles.SECURITY_AUDITOR: False,
}
PAGES = [
    "/staff/analytics/line-loss/",
    "/staff/analytics/line-loss/areas/A-LOSS/",
    "/staff/analytics/line-loss/suspects/",
]
API = ["/api/v1/line-loss/areas", "/api/v1/line-loss/suspects"]


@pytest.fixture
def world():
    """Area A-LOSS with a flagged day (12.5 % > 10 %), one incomplete day, its March month; area A-CALM at 5 %."""
    area = Area()
    area.day(DAY, summary="0.0500", a="2.0000", b="1.1875")
    area.day(DAY + dt.timedelta(days=1), summary="0.0500", a="2.0000", b="1.1875", skip_a=48)
    calm = Area("A-CALM")
    # 0.0500 × 100 × 96 = 480 supplied; 192 + 2 × 1.3 × 96 = 441.6 consumed → 38.4 kWh, 8 %
    calm.day(DAY, summary="0.0500", a="2.0000", b="1.3000")
    compute_line_loss(start=DAY, end=DAY + dt.timedelta(days=2), as_of=AS_OF)
    return area


def _staff_client(role: str) -> Client:
    client = Client()
    client.force_login(make_staff(role=role))
    return client


def test_ranking_shows_areas_by_monthly_rate_for_the_analyst(world):
    response = _staff_client(roles.MARKETING_ANALYST).get("/staff/analytics/line-loss/", {"month": "2026-03"})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.area.code for r in rows] == ["A-LOSS", "A-CALM"]  # 31.x % (with the incomplete day) above 8 %
    html = response.content.decode()
    assert "A-CALM" in html and "8.00 %" in html
    assert 'href="/staff/analytics/line-loss/areas/A-LOSS/?month=2026-03"' in html
    assert "admin/" in html  # the staff console frame (admin base_site)


def test_ranking_opens_on_the_newest_month_that_has_ended(world, monkeypatch):

    april = dt.date(2026, 4, 1)
    world.day(april, summary="0.0500", a="2.0000", b="1.1875")  # a first day of April: a month still filling in
    compute_line_loss(start=april, end=april + dt.timedelta(days=1), as_of=AS_OF)
    client = _staff_client(roles.MARKETING_ANALYST)

    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 4, 2))
    assert client.get("/staff/analytics/line-loss/").context["month"] == dt.date(2026, 3, 1)
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 5, 1))  # April has ended
    assert client.get("/staff/analytics/line-loss/").context["month"] == april
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 3, 5))  # nothing has ended yet
    response = client.get("/staff/analytics/line-loss/")
    assert response.context["month"] == april and "A-LOSS" in response.content.decode()


def test_ranking_filters_flagged_only(world):
    response = _staff_client(roles.MARKETING_ANALYST).get(
        "/staff/analytics/line-loss/", {"month": "2026-03", "flagged": "on"}
    )
    # The March month of A-LOSS is incomplete (48 of 192 customer intervals missing on one day) → not
    # flagged; A-CALM at 8 % is not flagged either.
    assert response.context["rows"] == []
    with translation.override("zh-hans"):  # the console's default language
        assert escape(gettext("No line-loss figures for this selection.")) in response.content.decode()


def test_area_page_has_the_chart_payload_and_marks_incomplete_days(world):
    response = _staff_client(roles.MARKETING_ANALYST).get("/staff/analytics/line-loss/areas/A-LOSS/")
    assert response.status_code == 200
    chart = response.context["chart"]
    assert chart["labels"] == ["2026-03-02", "2026-03-03"]
    assert chart["supplied"] == ["480.0000", "480.0000"] and chart["rate"][0] == 12.5
    assert chart["incomplete"] == [False, True] and chart["flagged"] == [True, False]
    html = response.content.decode()
    assert 'id="lineloss-area-data"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert "lineloss-incomplete" in html


def test_exports_carry_the_table(world):
    client = _staff_client(roles.MARKETING_ANALYST)
    response = client.get("/staff/analytics/line-loss/areas/A-LOSS/", {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["area", "day", "supplied_kwh", "consumed_kwh", "loss_kwh", "loss_rate_pct"]
    assert rows[1][:6] == ["A-LOSS", "2026-03-02", "480.0000", "420.0000", "60.0000", "12.5"]
    assert rows[1][-1] == "high" and rows[2][-1] == "incomplete"
    response = client.get("/staff/analytics/line-loss/", {"month": "2026-03", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "area" and [v[0] for v in values[1:]] == ["A-LOSS", "A-CALM"]
    assert values[2][7] == 8.0


@pytest.mark.parametrize("role", list(READERS))
def test_pages_and_api_follow_the_role_permissions(world, role):
    client = _staff_client(role)
    for url in PAGES:
        assert client.get(url).status_code == (200 if READERS[role] else 403), url
    api = APIClient()
    api.force_login(make_staff(role=role))
    for url in API:
        response = api.get(url, {"as_of": "2026-03-04"} if "suspects" in url else {})
        assert response.status_code == (200 if READERS[role] else 403), url
        if not READERS[role]:
            assert response.json()["error"]["code"] == "permission_denied"


def test_customers_are_refused_and_anonymous_sent_to_the_staff_login(world):
    customer = make_portal_user()
    bind(user=customer, account=make_account())
    client = Client()
    client.force_login(customer)
    for url in PAGES:
        assert client.get(url).status_code == 403
    api = APIClient()
    api.force_login(customer)
    for url in API:
        assert api.get(url).status_code == 403
    anonymous = Client()
    response = anonymous.get(PAGES[0])
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert APIClient().get(API[0]).json()["error"]["code"] == "not_authenticated"


def test_api_areas_content_and_bad_input(world):
    api = APIClient()
    api.force_login(make_staff(role=roles.MARKETING_ANALYST))
    body = api.get("/api/v1/line-loss/areas", {"month": "2026-03"}).json()
    assert [r["area"] for r in body["results"]] == ["A-LOSS", "A-CALM"]
    calm = body["results"][1]
    assert calm["loss_kwh"] == "38.4000" and calm["loss_rate"] == "0.080000" and calm["flags"] == []
    assert body["results"][0]["flags"] == ["incomplete"]
    bad = api.get("/api/v1/line-loss/areas", {"month": "2026-13"})
    assert bad.status_code == 400 and "month" in bad.json()["error"]["fields"]
    bad = api.get("/api/v1/line-loss/suspects", {"area": "NO-SUCH"})
    assert bad.status_code == 400 and "area" in bad.json()["error"]["fields"]
    bad = api.get("/api/v1/line-loss/suspects", {"window": "3"})
    assert bad.status_code == 400 and "window" in bad.json()["error"]["fields"]


def test_schema_lists_the_line_loss_operations():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]["/api/v1/line-loss/areas"]) == {"get"}
    assert set(schema["paths"]["/api/v1/line-loss/suspects"]) == {"get"}
    names = {p["name"] for p in schema["paths"]["/api/v1/line-loss/areas"]["get"]["parameters"]}
    assert {"month", "feeder", "flagged"} <= names


def test_admin_lists_are_read_only_with_filters(world):
    client = Client()
    admin_user = get_user_model().objects.create_superuser("root", password="Root-pa55!x")
    client.force_login(admin_user)
    response = client.get("/admin/analytics/arealossday/", {"flagged__exact": "1"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(AreaLossDay.objects.filter(flagged=True))
    assert response.context["has_add_permission"] is False
    assert "/admin/analytics/arealossday/add/" not in response.content.decode()
    row = AreaLossDay.objects.get(area__code="A-LOSS", day=DAY)
    assert client.post(f"/admin/analytics/arealossday/{row.pk}/change/", {}).status_code == 403
    assert row.loss_kwh == Decimal("60")
    assert (
        client.get("/admin/analytics/arealossmonth/", {"area__feeder__id__exact": row.area.feeder_id}).status_code
        == 200
    )


def test_suspects_page_lists_a_stopped_meter_with_its_evidence():
    area = Area("A-THEFT")
    area.normal_days(DAY, 60)  # 12.5 % loss; A draws 192 kWh/day
    stop = DAY + dt.timedelta(days=60)
    for i in range(40):  # A's meter stops; the summary still sees the energy: loss 252 kWh, 52.5 %
        area.day(stop + dt.timedelta(days=i), summary="0.0500", a="0.0000", b="1.1875")
    end = stop + dt.timedelta(days=40)
    compute_line_loss(start=DAY, end=end, as_of=AS_OF + dt.timedelta(days=60))
    client = _staff_client(roles.FIELD_ENGINEER)
    response = client.get("/staff/analytics/line-loss/suspects/", {"as_of": end.isoformat()})
    suspects = response.context["suspects"]
    assert [s.account_number for s in suspects] == [area.a.account.number]  # B, steady, is not there
    suspect = suspects[0]
    assert suspect.drop_started == stop and suspect.recent_kwh_per_day == 0 and suspect.baseline_kwh_per_day == 192
    assert suspect.area_rate_before == 0.125 and suspect.area_rate_after == 0.525
    assert suspect.evidence["meter_numbers"] == ["A-THEFT-A"] and suspect.evidence["drop_started"] == stop.isoformat()
    html = response.content.decode()
    assert f'data-account="{area.a.account.number}"' in html and "52.50 %" in html
    # The engineer works service requests: the row offers a site inspection carrying the evidence.
    assert 'action="/staff/services/inspections/open/"' in html
    assert f'name="account_number" value="{area.a.account.number}"' in html
    assert "&quot;drop_started&quot;: &quot;" + stop.isoformat() in html
    analyst_page = _staff_client(roles.MARKETING_ANALYST).get(
        "/staff/analytics/line-loss/suspects/", {"as_of": end.isoformat()}
    )
    assert f'data-account="{area.a.account.number}"' in analyst_page.content.decode()
    assert "/staff/services/inspections/open/" not in analyst_page.content.decode()  # reads, cannot open requests
    api = APIClient()
    api.force_login(make_staff(role=roles.BILLING_CLERK))
    body = api.get("/api/v1/line-loss/suspects", {"as_of": end.isoformat(), "area": "A-THEFT"}).json()
    assert [r["account_number"] for r in body["results"]] == [area.a.account.number]
    assert body["results"][0]["drop_started"] == stop.isoformat()
