"""Staff overview dashboard (staff/analytics/): figures against hand sums, exports, who may see it.

Fixture (bill month = the month the period starts; as of 1 December 2026; months Sep–Oct 2026):

  account  area  category     bill   kWh    amount  status          due         paid by 1 Dec
  r1       A1    residential  Aug      10     5.00  issued          2026-09-16  —
  r1       A1    residential  Sep     100    50.00  issued          2026-10-16  —
  r1       A1    residential  Oct     200   100.00  paid            2026-11-16  100.00
  c1       A1    commercial   Sep    1000   900.00  partially_paid  2026-10-16  400.00 (settled 20 Oct)
  c1       A1    commercial   Oct     500   450.00  issued          2026-11-16  —
  r2       A2    residential  Jun      20    20.00  issued          2026-07-16  —
  r2       A2    residential  Sep     999   999.00  void            —           (left out everywhere)
  r2       A2    residential  Oct     300   150.00  paid            2026-11-16  150.00 settled 5 Dec: after as-of
  r1       A1    residential  Nov      50    25.00  held            —           (not issued: left out)

Sales: Sep residential 100 kWh 50.00 (1 bill), Sep commercial 1000 / 900.00 (1); Oct residential
200 + 300 = 500 kWh, 100 + 150 = 250.00 (2), Oct commercial 500 / 450.00 (1).
Collection (by issue month, from the ledger): see test_collection_rate_by_issue_month_from_the_ledger.
Arrears on 1 Dec (days past due): r1 Aug 5.00 (76 → 61–90), r1 Sep 50.00 (46 → 31–60),
  c1 Sep 900 − 400 = 500.00 (46 → 31–60), c1 Oct 450.00 (15 → 0–30), r2 Oct 150.00 (15 → 0–30),
  r2 Jun 20.00 (138 → over 90).
  residential: 0–30 150.00, 31–60 50.00, 61–90 5.00, >90 20.00, total 225.00, 2 accounts, 4 bills
  commercial:  0–30 450.00, 31–60 500.00, total 950.00, 1 account, 2 bills
  area A1: 450.00 / 550.00 / 5.00 / 0 → 1005.00 (2 accounts, 4 bills); A2: 150.00 / 0 / 0 / 20.00 → 170.00
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from analytics.selectors.dashboard import (
    DashboardFilters,
    arrears_by_area,
    arrears_by_category,
    collection_by_month,
    sales_by_month_and_category,
)
from analytics.views import panels as dashboard_panels
from billing.models import Bill, LedgerEntry, Payment, PaymentAllocation, Tariff
from billing.services.ledger import post_bill_charge, post_entry, reverse_bill_charge
from core import clock
from core.web.exports import Column, Table
from customers.models import Account
from security import roles
from tests.factories import SHANGHAI, make_account, make_area, make_portal_user, make_staff

pytestmark = pytest.mark.django_db

URL = "/staff/analytics/"
QUERY = {"month_from": "2026-09", "month_to": "2026-10", "as_of": "2026-12-01"}
_orders = itertools.count(1)


def bill(account, month: str, kwh: str, amount: str, status: str, due: str | None) -> Bill:
    """Issued (unless held) at 09:00 on the 2nd of the next month, with its ledger charge that day; a
    void bill was charged then and reversed on the 20th."""
    start = dt.date.fromisoformat(month + "-01")
    end = (start + dt.timedelta(days=32)).replace(day=1)
    issued = None if status == "held" else dt.datetime.combine(end + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI)
    made = Bill.objects.create(
        account=account,
        period_start=start,
        period_end=end,
        status=status,
        tariff=Tariff.objects.get(code="ZJ-RES-FLAT"),
        consumption_source="registers",
        total_kwh=D(kwh),
        annual_kwh_before=D("0"),
        amount=D(amount),
        due_date=dt.date.fromisoformat(due) if due else None,
        issued_at=issued,
    )
    if issued:
        post_bill_charge(bill=made, on=issued.date())
    if status == "void":
        reverse_bill_charge(bill=made, on=end + dt.timedelta(days=19))
    return made


def pay(target: Bill, amount: str, settled: str, *, sandbox: bool = False) -> None:
    """A settled payment (posted to the ledger that day) applied to ``target``."""
    moment = dt.datetime.fromisoformat(settled).replace(tzinfo=SHANGHAI)
    payment = Payment.objects.create(
        account=target.account,
        amount=D(amount),
        channel=Payment.Channel.ONLINE if sandbox else Payment.Channel.COUNTER,
        status=Payment.Status.SUCCEEDED,
        order_no=f"T{next(_orders):08d}",
        settled_at=moment,
        is_sandbox=sandbox,
    )
    post_entry(
        account=target.account,
        kind=LedgerEntry.Kind.PAYMENT,
        amount=-D(amount),
        description="test payment",
        posting_key=f"payment:{payment.pk}",
        occurred_on=moment.date(),
        payment=payment,
    )
    PaymentAllocation.objects.create(payment=payment, bill=target, amount=D(amount))


@pytest.fixture
def books():
    a1, a2 = make_area(code="A1"), make_area(code="A2")
    r1 = make_account(area=a1)
    c1 = make_account(area=a1, category=Account.Category.COMMERCIAL)
    r2 = make_account(area=a2)
    bill(r1, "2026-08", "10", "5.00", "issued", "2026-09-16")
    bill(r1, "2026-09", "100", "50.00", "issued", "2026-10-16")
    pay(bill(r1, "2026-10", "200", "100.00", "paid", "2026-11-16"), "100.00", "2026-11-10T10:00")
    pay(bill(c1, "2026-09", "1000", "900.00", "partially_paid", "2026-10-16"), "400.00", "2026-10-20T10:00")
    bill(c1, "2026-10", "500", "450.00", "issued", "2026-11-16")
    bill(r2, "2026-06", "20", "20.00", "issued", "2026-07-16")
    bill(r2, "2026-09", "999", "999.00", "void", None)
    pay(bill(r2, "2026-10", "300", "150.00", "paid", "2026-11-16"), "150.00", "2026-12-05T10:00")
    bill(r1, "2026-11", "50", "25.00", "held", None)
    return {"a1": a1, "a2": a2}


def filters(**changes) -> DashboardFilters:
    values = {"month_from": dt.date(2026, 9, 1), "month_to": dt.date(2026, 10, 1), "as_of": dt.date(2026, 12, 1)}
    return DashboardFilters(**{**values, **changes})


SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def test_sales_by_month_and_category(books):
    rows = sales_by_month_and_category(filters=filters())
    assert [(r["month"], r["category"], r["kwh"], r["revenue"], r["bills"]) for r in rows] == [
        (SEP, "commercial", D("1000"), D("900.00"), 1),
        (SEP, "residential", D("100"), D("50.00"), 1),
        (OCT, "commercial", D("500"), D("450.00"), 1),
        (OCT, "residential", D("500"), D("250.00"), 2),
    ]


def test_area_and_feeder_filters(books):
    rows = sales_by_month_and_category(filters=filters(area_id=books["a2"].pk))
    assert [(r["month"], r["category"], r["kwh"], r["revenue"]) for r in rows] == [
        (OCT, "residential", D("300"), D("150.00"))
    ]
    feeder = books["a1"].feeder  # both test areas hang on the same feeder
    assert len(sales_by_month_and_category(filters=filters(feeder_id=feeder.pk))) == 4
    assert sales_by_month_and_category(filters=filters(feeder_id=feeder.pk + 999)) == []


def test_collection_rate_by_issue_month_from_the_ledger(books):
    """Bills count in the month they were issued (the 2nd of the month after their period), from their
    ledger charges; collected = what real payments posted by the as-of day applied to them.

      issued in  bills (period)                       billed                    collected by 1 Dec
      Sep        r1 Aug 5.00                          5.00                      0.00        → 0.0 %
      Oct        r1 Sep 50.00, c1 Sep 900.00,         50 + 900 + (999 − 999)    400.00 (c1) → 400/950 = 42.1 %
                 r2 Sep 999.00 charged and reversed   = 950.00
      Nov        r1 Oct 100.00, c1 Oct 450.00,        700.00                    100.00 (r1; r2's 150.00 is on
                 r2 Oct 150.00                                                  5 Dec) → 100/700 = 14.3 %
    A sandbox "payment" of the whole 450.00 on c1's October bill moves no money: never collected.
    A week later (8 Dec) r2's payment counts: Nov 250/700 = 35.7 %."""
    c1_october = Bill.objects.get(period_start=OCT, amount=D("450.00"))
    pay(c1_october, "450.00", "2026-11-25T10:00", sandbox=True)
    rows = collection_by_month(filters=filters(month_to=NOV))
    assert rows == [
        {"month": SEP, "billed": D("5.00"), "collected": D("0.00"), "outstanding": D("5.00"), "rate": D("0.0")},
        {"month": OCT, "billed": D("950.00"), "collected": D("400.00"), "outstanding": D("550.00"), "rate": D("42.1")},
        {"month": NOV, "billed": D("700.00"), "collected": D("100.00"), "outstanding": D("600.00"), "rate": D("14.3")},
    ]
    later = collection_by_month(filters=filters(month_to=NOV, as_of=dt.date(2026, 12, 8)))
    assert (later[2]["collected"], later[2]["rate"]) == (D("250.00"), D("35.7"))
    # As of 10 October the void's reversal (20 Oct) is not posted yet: 50 + 900 + 999 = 1,949.00 billed.
    early = collection_by_month(filters=filters(as_of=dt.date(2026, 10, 10)))
    assert early[1]["billed"] == D("1949.00") and early[1]["collected"] == D("0.00")


def test_arrears_by_age_bucket_and_category(books):
    rows = {r["category"]: r for r in arrears_by_category(filters=filters())}
    residential, commercial = rows["residential"], rows["commercial"]
    assert [residential[k] for k in ("0_30", "31_60", "61_90", "over_90", "total", "accounts", "bills")] == [
        D("150.00"),
        D("50.00"),
        D("5.00"),
        D("20.00"),
        D("225.00"),
        2,
        4,
    ]
    assert [commercial[k] for k in ("0_30", "31_60", "61_90", "over_90", "total", "accounts", "bills")] == [
        D("450.00"),
        D("500.00"),
        D("0.00"),
        D("0.00"),
        D("950.00"),
        1,
        2,
    ]


def test_bucket_edges_and_as_of():
    """30 days past due is still "0–30"; 31 is "31–60". Nothing is overdue on its due date."""
    account = make_account()
    bill(account, "2026-09", "1", "1.00", "issued", "2026-10-31")  # 30 days before 30 Nov
    bill(account, "2026-10", "2", "2.00", "issued", "2026-10-30")  # 31 days
    bill(account, "2026-11", "4", "4.00", "issued", "2026-11-30")  # due that very day
    (row,) = arrears_by_category(filters=filters(as_of=dt.date(2026, 11, 30)))
    assert (row["0_30"], row["31_60"], row["total"], row["bills"]) == (D("1.00"), D("2.00"), D("3.00"), 2)


def test_top_arrears_areas(books):
    rows = arrears_by_area(filters=filters())
    assert [
        (r["area_code"], r["0_30"], r["31_60"], r["61_90"], r["over_90"], r["total"], r["accounts"]) for r in rows
    ] == [
        ("A1", D("450.00"), D("550.00"), D("5.00"), D("0.00"), D("1005.00"), 2),
        ("A2", D("150.00"), D("0.00"), D("0.00"), D("20.00"), D("170.00"), 1),
    ]
    assert [r["area_code"] for r in arrears_by_area(filters=filters(), limit=1)] == ["A1"]


# --- pages ----------------------------------------------------------------------------------------------


def test_analyst_sees_the_dashboard_with_the_hand_sums(client, books):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get(URL, QUERY)
    html = response.content.decode()

    assert response.status_code == 200
    tables = {t.key: t for t in response.context["tables"]}
    assert set(tables) == {"sales", "collection", "arrears-category", "arrears-areas"}
    assert [r["rate"] for r in tables["collection"].rows] == [D("0.0"), D("42.1")]  # issued in Sep, Oct
    assert tables["sales"].chart["labels"] == ["2026-09", "2026-10"]
    assert 'id="panel-collection"' in html and '<td class="num">42.1</td>' in html
    assert '<td class="num">1005.00</td>' in html  # area A1's arrears
    assert 'id="chart-sales"' in html and "vendor/chartjs/chart.umd.min.js" in html
    assert 'href="/staff/analytics/export/collection.csv?' in html
    assert 'href="/staff/analytics/export/arrears-areas.xlsx?' in html
    # the navigation links every analytics page the analyst may open, this one marked current
    nav = html[
        html.index('class="analytics-sections"') : html.index("</nav>", html.index('class="analytics-sections"'))
    ]
    assert '<a href="/staff/analytics/" aria-current="page">' in nav
    for url in ("/staff/analytics/forecasts/", "/staff/analytics/segments/", "/staff/analytics/line-loss/"):
        assert f'<a href="{url}">' in nav


def test_billing_clerk_and_administrator_see_it_too(client, books):
    for role in (roles.BILLING_CLERK, roles.SYSTEM_ADMINISTRATOR):
        client.force_login(make_staff(role=role))
        response = client.get(URL, QUERY)
        assert response.status_code == 200 and 'id="panel-sales"' in response.content.decode()


def test_sections_row_offers_only_the_pages_a_role_may_open(client, books):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    html = client.get(URL, QUERY).content.decode()
    assert 'href="/staff/analytics/"' in html
    assert 'href="/staff/analytics/forecasts/"' not in html  # forecasts are the analysts' and dispatchers'
    assert client.get("/staff/analytics/forecasts/").status_code == 403


def test_default_period_is_the_twelve_months_to_last_month(client, books, monkeypatch):

    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 12, 1))
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    scope = response.context["filters"]
    assert (scope.month_from, scope.month_to, scope.as_of) == (
        dt.date(2025, 12, 1),
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
    )
    # The inputs show that period (ISO values: a Chinese-formatted 2026/12/01 would leave a date input blank).
    html = response.content.decode()
    assert 'name="month_from" value="2025-12"' in html
    assert 'name="month_to" value="2026-11"' in html
    assert 'name="as_of" value="2026-12-01"' in html


def test_bad_filters_are_explained(client, books, monkeypatch):

    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 12, 1))
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get(URL, {"month_from": "2026-10", "month_to": "2026-09"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()  # shown above the filters
    assert 'class="errorlist"' in response.content.decode()
    assert response.context["filters"].month_to == dt.date(2026, 11, 1)  # the defaults, not the bad range
    response = client.get("/staff/analytics/export/sales.csv", {"month_from": "2026-13"})
    assert response.status_code == 400 and b"YYYY-MM" in response.content


@pytest.mark.parametrize("role", [roles.CUSTOMER_SERVICE_AGENT, roles.FIELD_ENGINEER, roles.SECURITY_AUDITOR])
def test_staff_without_the_permission_are_refused(client, role):
    client.force_login(make_staff(role=role))
    for url in (URL, "/staff/analytics/export/sales.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert 'data-forbidden="no-permission"' in response.content.decode()


def test_customers_are_refused_and_visitors_sent_to_login(client, books):
    client.force_login(make_portal_user())
    for url in (URL, "/staff/analytics/export/sales.csv"):
        response = client.get(url, QUERY)
        html = response.content.decode()
        assert response.status_code == 403
        assert 'data-forbidden="not-staff"' in html and "950.00" not in html
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_csv_export_holds_the_tables_figures(client, books):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get("/staff/analytics/export/collection.csv", QUERY)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="collection-202609-202610.csv"'
    assert response.content.startswith("\ufeff".encode())  # BOM: Excel reads the Chinese labels right
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows[0]) == 5
    assert rows[1:] == [
        ["2026-09", "5.00", "0.00", "5.00", "0.0"],
        ["2026-10", "950.00", "400.00", "550.00", "42.1"],
    ]

    sales = client.get("/staff/analytics/export/sales.csv", {**QUERY, "area": books["a2"].pk})
    rows = list(csv.reader(io.StringIO(sales.content.decode("utf-8-sig"))))
    assert rows[1:] == [["2026-10", str(Account.Category.RESIDENTIAL.label), "300.0000", "150.00", "1"]]


def test_excel_export(client, books):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    response = client.get("/staff/analytics/export/arrears-areas.xlsx", QUERY)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(v[0], v[7], v[8]) for v in values] == [("A1", 1005.0, 2), ("A2", 170.0, 1)]
    assert client.get("/staff/analytics/export/arrears-areas.pdf", QUERY).status_code == 404
    assert client.get("/staff/analytics/export/nope.csv", QUERY).status_code == 404


def test_registered_panels_are_drawn_and_exported(client, books):
    def build(scope: DashboardFilters) -> Table:
        return Table(
            key="requests",
            title="Service requests",
            columns=[Column("month", "Month"), Column("opened", "Opened", numeric=True)],
            rows=[{"month": f"{scope.month_from:%Y-%m}", "opened": 7}],
        )

    dashboard_panels.register(key="requests", title="Service requests", build=build)
    try:
        client.force_login(make_staff(role=roles.MARKETING_ANALYST))
        html = client.get(URL, QUERY).content.decode()
        assert 'id="panel-requests"' in html and '<td class="num">7</td>' in html
        exported = client.get("/staff/analytics/export/requests.csv", QUERY).content.decode("utf-8-sig")
        assert exported.splitlines() == ["Month,Opened", "2026-09,7"]
    finally:
        dashboard_panels.unregister(key="requests")
    assert "requests" not in {panel.key for panel in dashboard_panels.registered_panels()}


def test_queries_do_not_grow_with_the_number_of_bills(client, books, django_assert_max_num_queries):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    with django_assert_max_num_queries(20) as few:
        client.get(URL, QUERY)
    area = make_area(code="A3")
    for _n in range(30):
        bill(make_account(area=area), "2026-09", "10", "7.00", "issued", "2026-10-16")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, QUERY)
    assert response.context["tables"][0].rows[1]["bills"] == 31  # Sep residential: r1 + 30 new


def test_the_console_home_links_the_dashboard_for_those_who_may_read_it(client):
    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    assert 'href="/staff/analytics/"' in client.get("/admin/").content.decode()
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))
    html = client.get("/admin/").content.decode()
    assert 'id="analytics-module"' not in html and "/staff/analytics/" not in html
