"""The staff pages of a demand-response event (results per account with CSV, every baseline side by
side) and the dashboard panels, on the hand-computed event of the flow test: baseline 2.92 kW, actual
1.0 kW over 14:00–16:00 → 3.84 kWh × 1.5 = 5.76 CNY; customers get no access."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import numpy as np
import pytest
from django.urls import reverse

from analytics.demand_response import EventWindow
from analytics.selectors.dashboard import DashboardFilters
from security import roles
from services.actions.demand_response.comparison import compare_event_baselines
from services.actions.demand_response.readings import load_arrays
from services.actions.demand_response.settlement import (
    BATCH_METHODS,
    _excluded_days,
    baseline_settings,
    dr_day_kind,
    settle_event,
)
from services.models import DRSettlement
from services.views.demand_response_staff import event_curve_panel, season_panel
from tests.factories import make_portal_user, make_staff
from tests.services.dr_staff_helpers import EVENT_DAY, at, completed_event

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _english(client):
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def settled():
    scenario = completed_event()
    settle_event(event=scenario.event, now=at(dt.date(2026, 8, 13), 9))
    return scenario


def test_results_table_is_the_settlement_rows_and_the_csv_says_the_same(client, settled):
    client.force_login(make_staff(role=roles.BILLING_CLERK))
    page = client.get(reverse("services_staff:dr_event_results", args=[settled.event.pk]))
    assert page.status_code == 200
    rows = page.context["tables"][0].rows
    settlement = DRSettlement.objects.get(participation__event=settled.event)
    assert len(rows) == 1  # the decliner opted out: no settlement
    row = rows[0]
    assert row["account"] == settled.taker.number
    assert (row["baseline_kwh"], row["actual_kwh"], row["verified_kwh"], row["verified_kw"], row["ratio"]) == (
        settlement.baseline_kwh,
        settlement.actual_kwh,
        settlement.verified_kwh,
        settlement.verified_kw,
        settlement.ratio,
    )
    # 2.92 kW × 2 h = 5.84 kWh baseline; 1.0 kW × 2 h = 2.0 kWh actual; 3.84 kWh × 1.5 = 5.76 CNY.
    assert (settlement.baseline_kwh, settlement.actual_kwh, settlement.net) == (D("5.840"), D("2.000"), D("5.76"))
    assert (row["incentive"], row["penalty"], row["net"]) == (D("5.76"), D("0.00"), D("5.76"))
    assert "compare" not in page.content.decode().lower() or "baselines/" in page.content.decode()

    download = client.get(reverse("services_staff:dr_event_results_export", args=[settled.event.pk, "csv"]))
    assert download["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["Account", "Baseline method", "Baseline (kWh)", "Actual (kWh)"]
    assert table[1] == [
        settled.taker.number,
        "Similar working days (5 days, Jiangsu)",
        "5.840",
        "2.000",
        "3.840",
        "1.920",
        "2.500",
        "0.7680",
        "5.76",
        "0.00",
        "5.76",
        "",
        "Posted to the ledger",
    ]


def test_compare_baselines_equals_the_batch_functions(client, settled):
    comparison = compare_event_baselines(event=settled.event)
    assert comparison.methods == ["similar_working_days", "high_5_of_10", "ten_of_ten_adjusted", "regression"]
    # Similar working days: 4, 5, 6, 10, 11 August (7 August was a prior event) → 2.92 kW.
    assert comparison.aggregate_kw["similar_working_days"] == [2.92] * 8
    # High 5 of 10: of 11, 10, 6, 5, 4, 3 Aug, 31, 30, 29, 28 Jul (3.5, 3.2, 2.8, 2.5, 2.6, 2.8, 3.4, 3.1,
    # 2.8, 2.5 kW) the top five 3.5, 3.4, 3.2, 3.1, 2.8 → 16.0 / 5 = 3.2 kW.
    assert comparison.aggregate_kw["high_5_of_10"] == [3.2] * 8
    assert comparison.actual_kw == [1.0] * 8
    (account,) = comparison.accounts
    assert (account.kwh["similar_working_days"], account.kwh["high_5_of_10"], account.actual_kwh) == (
        D("5.840"),
        D("6.400"),
        D("2.000"),
    )
    # Every batch method: the page's figures are the batch function's output summed over the accounts.
    program, event = settled.program, settled.event
    settings = baseline_settings(program=program)
    first_day = EVENT_DAY - dt.timedelta(days=max(settings.lookback_days, 7 * settings.regression_weeks))
    arrays = load_arrays(account_ids=[settled.taker.pk], first_day=first_day, last_day=EVENT_DAY)
    excluded = _excluded_days(event=event, account_ids=[settled.taker.pk], first_day=first_day)
    window = EventWindow(start=event.start, end=event.end, notice_at=event.notice_at)
    for method, batch in BATCH_METHODS.items():
        expected = batch(
            load=arrays.load_kw,
            first_day=first_day,
            event=window,
            day_kind=dr_day_kind,
            estimated=arrays.estimated,
            excluded=excluded,
            settings=settings,
        ).values
        assert comparison.aggregate_kw[method.value] == [round(float(v), 3) for v in np.nansum(expected, axis=0)]

    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    page = client.get(reverse("services_staff:dr_event_compare", args=[event.pk]))
    curve, accounts = page.context["tables"]
    assert curve.rows[0]["similar_working_days"] == 2.92 and curve.rows[0]["slot"] == "14:00"
    assert accounts.rows[0]["account"] == settled.taker.number
    download = client.get(reverse("services_staff:dr_event_compare_export", args=[event.pk, accounts.key, "csv"]))
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith(f"{settled.taker.number},5.840,6.400,")


def test_dashboard_panels_hand_computed(client, settled):
    filters = DashboardFilters(month_from=dt.date(2026, 8, 1), month_to=dt.date(2026, 8, 1), as_of=dt.date(2026, 8, 31))
    table = season_panel(filters)
    prior, event, total = table.rows
    # The 7 August event: 100 kW requested, its one participant opted in, nothing settled.
    assert (prior["requested_mw"], prior["verified_mw"], prior["cost"], prior["participation_rate"]) == (
        D("0.100"),
        D("0.000"),
        D("0"),
        "100.0 %",
    )
    # 12 August: 500 kW requested → 0.500 MW; verified 1.92 kW → 0.00192 → 0.002 MW, 1.92 / 500 = 0.384 %
    # → 0.4 %; 5.76 CNY / 3.84 kWh = 1.5000 CNY/kWh; 1 of 2 invited took part → 50.0 %.
    assert (event["requested_mw"], event["verified_mw"], event["verified_share"]) == (D("0.500"), D("0.002"), "0.4 %")
    assert (event["verified_kwh"], event["cost"], event["cost_per_kwh"]) == (D("3.840"), D("5.76"), D("1.5000"))
    assert (event["invited"], event["opted_in"], event["participation_rate"]) == (2, 1, "50.0 %")
    # Both: 600 kW requested, 1.92 / 600 = 0.32 % → 0.3 %; 2 of 3 invitations taken → 66.7 %.
    assert (total["event"], total["requested_mw"], total["verified_share"], total["participation_rate"]) == (
        "All 2 events",
        D("0.600"),
        "0.3 %",
        "66.7 %",
    )

    curve = event_curve_panel(filters, {})
    assert curve.extra["picker"]["selected"] == str(settled.event.pk)
    assert [r["slot"] for r in curve.rows] == ["14:00", "14:15", "14:30", "14:45", "15:00", "15:15", "15:30", "15:45"]
    assert {(r["baseline_kw"], r["actual_kw"], r["response_kw"]) for r in curve.rows} == {
        (D("2.92"), D("1.0"), D("1.92"))
    }

    client.force_login(make_staff(role=roles.MARKETING_ANALYST))
    page = client.get(reverse("analytics_dashboard:index"), {"month_from": "2026-08", "month_to": "2026-08"})
    body = page.content.decode()
    assert 'data-panel="dr_season"' in body and 'data-picker="dr_event"' in body
    export = client.get(
        reverse("analytics_dashboard:export", args=["dr_event_curve", "csv"]),
        {"month_from": "2026-08", "month_to": "2026-08", "dr_event": settled.event.pk},
    )
    assert export.content.decode("utf-8-sig").splitlines()[1] == "14:00,2.92,1.0,1.92"


def test_customers_and_other_staff_get_no_access(client, settled):
    urls = [
        reverse("services_staff:dr_event_results", args=[settled.event.pk]),
        reverse("services_staff:dr_event_results_export", args=[settled.event.pk, "csv"]),
        reverse("services_staff:dr_event_compare", args=[settled.event.pk]),
    ]
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/admin/login/" in anonymous.url
    client.force_login(make_portal_user())
    for url in urls:
        assert client.get(url).status_code == 403
    client.force_login(make_staff(role=roles.FIELD_ENGINEER))
    assert client.get(urls[0]).status_code == 403
    client.force_login(make_portal_user())
    assert client.get(reverse("admin:services_drsettlement_changelist")).status_code == 302  # the admin login
