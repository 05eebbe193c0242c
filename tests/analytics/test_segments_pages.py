"""Customer segmentation on screen: the staff page, the admin filter and its CSV / Excel exports, and
the business hall's "compare with similar households" page — content, and who is refused.

Data: three planted shapes × 8 residential accounts (tests/segments_data.py), clustered with k = 3."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import statistics

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from analytics.models import AccountSegment, Segment
from analytics.services.segments import run_segmentation
from analytics.views import hall_segments
from customers.access import CURRENT_ACCOUNT_SESSION_KEY as SESSION_KEY
from customers.models import Account
from security import roles
from tests.factories import SHANGHAI, bind, make_portal_user, make_staff
from tests.segments_data import WINDOW, plant

pytestmark = pytest.mark.django_db

STAFF_URL = "/staff/analytics/segments/"
HALL_URL = "/usage/compare/"
TODAY = dt.date(2026, 10, 18)


@pytest.fixture
def planted():
    return plant()


@pytest.fixture
def run(planted):
    return run_segmentation(
        window_start=WINDOW[0],
        window_end=WINDOW[1],
        day_type="weekday",
        as_of=dt.datetime(2026, 10, 20, 3, tzinfo=SHANGHAI),
        k=3,
    )


def _segment_of(run, account) -> Segment:
    return AccountSegment.objects.get(run=run, account=account).segment


def _payload(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no json_script #{element_id}"
    return json.loads(match.group(1))


def _english(client, url: str) -> None:
    client.post(reverse("set_language"), {"language": "en", "next": url})


# --- staff page ---------------------------------------------------------------------------------------


def test_staff_page_shows_centroids_sizes_and_scores_to_the_analyst(client, run):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get(STAFF_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-day-type="weekday"' in html and 'data-empty="no-runs"' not in html
    chart = _payload(html, "weekday-centroids")
    assert len(chart["labels"]) == 24 and chart["labels"][20] == "20:00"
    assert len(chart["datasets"]) == 3
    segments = list(run.segments.order_by("number"))
    assert [d["values"] for d in chart["datasets"]] == [s.centroid for s in segments]
    assert sorted(re.findall(r"<td class=\"num\" data-size>(\d+)</td>", html)) == ["8", "8", "8"]
    assert {s.label for s in segments} == {"evening peak", "daytime", "flat / three-shift"}
    for segment in segments:
        assert segment.label in html
    # One k was scored (k fixed at 3) and it is marked as chosen.
    assert html.count("data-chosen") == 1
    assert 'href="/admin/analytics/accountsegment/"' in html


def test_staff_page_exports_its_table_as_csv_and_excel(client, run):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get(STAFF_URL, {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["day_type", "segment", "shape", "label", "peak_hour", "accounts", "share_percent"]
    assert rows[0][7] == "h00" and rows[0][-1] == "h23"
    body = {row[3]: row for row in rows[1:]}
    assert set(body) == {"evening peak", "daytime", "flat / three-shift"}
    assert body["evening peak"][2] == "evening_peak" and body["evening peak"][4] == "20"
    assert body["evening peak"][5] == "8" and body["evening peak"][6] == "33.3"

    workbook = load_workbook(io.BytesIO(client.get(STAFF_URL, {"export": "xlsx"}).content))
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    assert [list(r[:6]) for r in sheet_rows[1:]] == [
        [r[0], int(r[1]), r[2], r[3], int(r[4]), int(r[5])] for r in rows[1:]
    ]


def test_staff_page_without_a_run_says_so(client):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    assert 'data-empty="no-runs"' in client.get(STAFF_URL).content.decode()


def test_staff_page_refuses_customers_and_roles_without_the_permission(client, run):
    customer = make_portal_user()
    bind(user=customer, account=Account.objects.first())
    client.force_login(customer)
    assert client.get(STAFF_URL).status_code == 403
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    assert client.get(STAFF_URL).status_code == 403
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    assert client.get(STAFF_URL).status_code == 200


def test_staff_page_sends_anonymous_users_to_the_admin_login(client):
    response = client.get(STAFF_URL)
    assert response.status_code == 302 and response.url.startswith("/admin/login/?next=")


# --- admin filter and exports -----------------------------------------------------------------------------


def _export(client, action: str, segment: Segment) -> bytes:
    url = reverse("admin:analytics_accountsegment_changelist") + f"?segment={segment.pk}"
    ids = AccountSegment.objects.filter(segment=segment).values_list("pk", flat=True)
    response = client.post(url, {"action": action, "_selected_action": [str(pk) for pk in ids]})
    assert response.status_code == 200
    return response.content


def test_admin_filters_accounts_by_segment(client, planted, run):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    evening = _segment_of(run, planted.accounts["evening"][0])
    html = client.get(reverse("admin:analytics_accountsegment_changelist"), {"segment": evening.pk}).content.decode()
    for account in planted.accounts["evening"]:
        assert account.number in html
    for account in planted.accounts["daytime"] + planted.accounts["flat"]:
        assert account.number not in html
    assert f"?segment={evening.pk}" in html  # the filter is offered in the sidebar


def test_admin_exports_a_segment_as_csv_without_personal_data(client, planted, run):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    evening = _segment_of(run, planted.accounts["evening"][0])
    content = _export(client, "export_csv", evening).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["account_number", "category", "area_code", "area_name", "day_type", "segment", "distance"]
    assert sorted(r[0] for r in rows[1:]) == sorted(a.number for a in planted.accounts["evening"])
    assert {(r[1], r[4], r[5]) for r in rows[1:]} == {("residential", "weekday", "evening peak")}
    first = planted.accounts["evening"][0]
    row = next(r for r in rows[1:] if r[0] == first.number)
    assert row[2] == first.area.code and row[3] == first.area.name
    assert float(row[6]) == pytest.approx(AccountSegment.objects.get(run=run, account=first).distance, abs=1e-4)
    for account in planted.accounts["evening"]:
        customer = account.customer
        for secret in (customer.name, customer.phone, customer.id_number, account.premise_address):
            assert secret not in content


def test_admin_exports_a_segment_as_excel(client, planted, run):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    daytime = _segment_of(run, planted.accounts["daytime"][0])
    workbook = load_workbook(io.BytesIO(_export(client, "export_xlsx", daytime)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "account_number" and len(rows) == 9
    assert sorted(r[0] for r in rows[1:]) == sorted(a.number for a in planted.accounts["daytime"])
    assert {r[5] for r in rows[1:]} == {"daytime"}


def test_admin_refuses_roles_without_the_permission(client, run):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    assert client.get(reverse("admin:analytics_accountsegment_changelist")).status_code == 403


# --- business hall ------------------------------------------------------------------------------------------


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(hall_segments, "hall_today", lambda: TODAY)
    return TODAY


def _customer_of(client, account):
    user = make_portal_user()
    bind(user=user, account=account)
    client.force_login(user)
    _english(client, HALL_URL)
    return user


def test_hall_compares_this_month_with_the_quartiles_of_the_segment(client, planted, run, today):
    mine = planted.accounts["evening"][0]
    _customer_of(client, mine)
    html = client.get(HALL_URL).content.decode()
    group = [planted.kwh_between(a, dt.date(2026, 10, 1), dt.date(2026, 10, 19)) for a in planted.accounts["evening"]]
    q1, median, q3 = statistics.quantiles(group, n=4, method="inclusive")
    my_kwh = planted.kwh_between(mine, dt.date(2026, 10, 1), dt.date(2026, 10, 19))
    with translation.override("en"):
        assert f'data-stat="mine">{floatformat(my_kwh, "2g")}<' in html
        assert f'data-stat="median">{floatformat(median, "2g")}<' in html
        assert f'data-stat="quartiles">{floatformat(q1, "2g")} – {floatformat(q3, "2g")}<' in html
    assert 'data-stat="group-size">8<' in html
    assert "Oct. 1, 2026 – Oct. 18, 2026" in html  # this month so far, today included
    assert "Sept. 20, 2026 – Oct. 18, 2026" in html  # the run's window, its exclusive end not shown
    expected_position = "below" if my_kwh < q1 else "above" if my_kwh > q3 else "middle"
    assert f'data-position="{expected_position}"' in html
    # My typical day against the segment's centroid.
    chart = _payload(html, "compare-profile-data")
    membership = AccountSegment.objects.get(run=run, account=mine)
    assert chart["datasets"][0]["values"] == membership.profile
    assert chart["datasets"][1]["values"] == membership.segment.centroid
    # Nobody else's account number or own figure is on the page.
    for other in planted.accounts["evening"][1:]:
        assert other.number not in html
        with translation.override("en"):
            assert (
                floatformat(planted.kwh_between(other, dt.date(2026, 10, 1), dt.date(2026, 10, 19)), "2g") not in html
            )


def test_hall_hides_the_comparison_for_a_small_group(client, planted, run, today):
    # Four of the daytime accounts are commercial: their group (same segment and category) has only 4.
    commercial = planted.accounts["daytime"][:4]
    Account.objects.filter(pk__in=[a.pk for a in commercial]).update(category=Account.Category.COMMERCIAL)
    _customer_of(client, commercial[0])
    html = client.get(HALL_URL).content.decode()
    assert 'data-hidden="small-group"' in html
    assert 'data-stat="median"' not in html and 'data-stat="quartiles"' not in html
    assert "fewer than 5 similar accounts" in html
    assert 'data-stat="mine"' in html  # the customer's own figure is still shown


def test_hall_without_a_segment_explains_why(client, run, today):
    from tests.factories import make_account

    _customer_of(client, make_account())
    html = client.get(HALL_URL).content.decode()
    assert 'data-empty="no-segment"' in html and 'data-stat="mine"' not in html


def test_hall_never_shows_another_customers_account(client, planted, run, today):
    mine, theirs = planted.accounts["evening"][0], planted.accounts["flat"][0]
    _customer_of(client, mine)
    session = client.session
    session[SESSION_KEY] = theirs.number  # a forged switcher selection
    session.save()
    html = client.get(HALL_URL).content.decode()
    assert mine.number in html and theirs.number not in html
    chart = _payload(html, "compare-profile-data")
    assert chart["datasets"][0]["values"] == AccountSegment.objects.get(run=run, account=mine).profile


def test_hall_page_is_for_customers_only_and_linked_from_usage(client, planted, run, today):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    assert client.get(HALL_URL).status_code == 403
    _customer_of(client, planted.accounts["evening"][0])
    assert 'href="/usage/compare/"' in client.get("/usage/").content.decode()
