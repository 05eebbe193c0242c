"""Demo metering data (billing.demo.metering through the seed_demo hook): meters, curves, register
reads, summary meters, planted anomalies — deterministic and consistent with the ingestion rules."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import call_command
from django.db.models import Max

from billing.demo import metering as metering_demo
from billing.models import IntervalReading, Meter, MeterDayCompleteness, RegisterRead
from core.time import SHANGHAI
from customers import demo as customer_demo
from customers.models import Account, PortalBinding, TransformerArea
from tests.module_data import kept_for_module

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 20)
WINDOW_START = dt.datetime(2025, 11, 20, tzinfo=SHANGHAI)
WINDOW_END = dt.datetime(2026, 11, 20, tzinfo=SHANGHAI)
SLOTS_PER_YEAR = 365 * 96


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--customers", "30", "--as-of", AS_OF.isoformat(), *args, stdout=out)
    return out.getvalue()


def _curve(meter: Meter) -> pd.Series:
    rows = IntervalReading.objects.filter(meter=meter).values_list("interval_start", "kwh")
    series = pd.Series({ts: float(kwh) for ts, kwh in rows}).sort_index()
    series.index = pd.DatetimeIndex(series.index).tz_convert("Asia/Shanghai")
    return series


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[str]:
    # One seed for the module (tests/module_data.py); tests that seed themselves are in test_seed_options.
    yield from kept_for_module(django_db_blocker, _seed)


def test_every_account_has_a_meter_and_every_area_one_summary_meter(seeded):
    assert "Metering:" in seeded and "interval readings" in seeded
    accounts = Account.objects.count()
    areas = TransformerArea.objects.count()
    assert Meter.objects.filter(role=Meter.Role.CUSTOMER).count() == accounts
    assert set(Meter.objects.filter(role=Meter.Role.CUSTOMER).values_list("account_id", flat=True)) == set(
        Account.objects.values_list("id", flat=True)
    )
    summaries = Counter(Meter.objects.filter(role=Meter.Role.AREA_SUMMARY).values_list("area_id", flat=True))
    assert len(summaries) == areas and set(summaries.values()) == {1}
    numbers = list(Meter.objects.values_list("meter_no", flat=True))
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"3301\d{10}", n) for n in numbers)
    for meter in Meter.objects.select_related("account"):
        assert meter.manufacturer and meter.model_name and meter.interval_minutes == 15
        account = meter.account
        if account is None:
            assert meter.multiplier >= 20 and meter.has_tou_registers
            continue
        assert meter.installed_at == dt.datetime.combine(account.opened_on, dt.time(), tzinfo=SHANGHAI)
        assert (meter.removed_at is None) == (account.closed_on is None)
        if account.category == Account.Category.RESIDENTIAL:
            assert (meter.multiplier, meter.phase) == (Decimal(1), Meter.Phase.SINGLE)
            assert meter.has_tou_registers or account.opened_on.year < 2012
        else:
            assert meter.phase == Meter.Phase.THREE
            assert meter.has_tou_registers
            # Direct connection up to 40 kVA, current transformers above (CT ratio ÷ 5 A).
            assert (meter.multiplier == 1) == (account.contracted_kva <= 40)


def test_curves_for_the_demo_customer_and_whole_instrumented_areas(seeded):
    demo_accounts = list(
        PortalBinding.objects.filter(user__username=customer_demo.DEMO_CUSTOMER_USERNAME).values_list(
            "account_id", flat=True
        )
    )
    with_curves = set(IntervalReading.objects.values_list("meter_id", flat=True).distinct())
    demo_meters = set(Meter.objects.filter(account_id__in=demo_accounts).values_list("id", flat=True))
    assert demo_meters <= with_curves
    home = Account.objects.get(id__in=demo_accounts, category=Account.Category.RESIDENTIAL)
    # The demo customer's home area is instrumented: every meter in it, and its summary meter.
    area_meters = set(Meter.objects.filter(area=home.area).values_list("id", flat=True))
    assert area_meters <= with_curves
    # A year of quarter-hours up to as_of, minus a few collection gaps, all on the grid.
    for meter in Meter.objects.filter(id__in=demo_meters):
        curve = _curve(meter)
        start = max(WINDOW_START, meter.installed_at)
        assert curve.index.min() >= start and curve.index.max() >= WINDOW_END - dt.timedelta(days=1)
        assert curve.index.max() < WINDOW_END
        assert len(curve) >= 0.97 * (WINDOW_END - start) / dt.timedelta(minutes=15)
        assert set(curve.index.minute) <= {0, 15, 30, 45}
    counts = MeterDayCompleteness.objects.filter(meter_id__in=demo_meters)
    assert counts.count() >= 300 and all(c.expected == 96 for c in counts)
    assert sum(c.actual for c in counts) == IntervalReading.objects.filter(meter_id__in=demo_meters).count()


def test_curve_shapes_are_realistic(seeded):
    home = Meter.objects.get(
        account__in=Account.objects.filter(bindings__user__username="c_demo", category="residential")
    )
    curve = _curve(home)
    by_hour = curve.groupby(curve.index.hour).mean()
    assert by_hour.loc[19:21].mean() > 2 * by_hour.loc[2:4].mean()  # evening peak, low night
    summer, spring = curve[curve.index.month.isin([7, 8])], curve[curve.index.month.isin([4, 5])]
    assert summer.mean() > 1.2 * spring.mean()  # air conditioning
    shop = Meter.objects.get(
        account__in=Account.objects.filter(bindings__user__username="c_demo", category="commercial")
    )
    curve = _curve(shop)
    by_hour = curve.groupby(curve.index.hour).mean()
    assert by_hour.loc[11:16].mean() > 3 * by_hour.loc[1:5].mean()  # open in the daytime
    for meter in Meter.objects.filter(account__category="industrial", id__in=IntervalReading.objects.values("meter")):
        curve = _curve(meter)
        assert curve.mean() > 0
        # Factories slow down for the Spring Festival (2026-02-15 … 23 in the statutory calendar).
        festival = curve[(curve.index >= "2026-02-16") & (curve.index < "2026-02-22")]
        assert festival.mean() < 0.8 * curve.mean()


def test_register_reads_follow_the_curve_and_add_up(seeded):
    reads = pd.DataFrame(RegisterRead.objects.values("meter_id", "read_at", "total", "sharp", "peak", "flat", "valley"))
    tou = reads[["sharp", "peak", "flat", "valley"]]
    with_tou = tou.notna().all(axis=1)
    assert (tou[with_tou].astype(float).sum(axis=1) - reads.loc[with_tou, "total"].astype(float)).abs().max() < 0.005
    assert (reads.sort_values("read_at").groupby("meter_id")["total"].diff().dropna() >= 0).all()
    # Daily 00:00 reads for curve meters: each day's advance is the day's curve (hundredths, rounded down).
    meter = Meter.objects.filter(
        id__in=IntervalReading.objects.values("meter"), account__category="residential", installed_at__lt=WINDOW_START
    ).first()
    curve = _curve(meter)
    daily = reads[reads.meter_id == meter.pk].set_index("read_at")["total"].astype(float).sort_index()
    assert len(daily) == 366 and daily.index.min() == WINDOW_START
    advance = daily.diff().dropna().to_numpy()
    per_day = curve.groupby(curve.index.date).agg(["sum", "size"])
    complete = (per_day["size"] == 96).to_numpy()
    assert abs(advance[complete] - per_day["sum"].to_numpy()[complete]).max() < 0.02
    # Residential meters register peak 08–22 and valley only; others read monthly elsewhere.
    assert reads.loc[(reads.meter_id == meter.pk), ["sharp", "flat"]].astype(float).abs().sum().sum() == 0
    monthly = reads[~reads.meter_id.isin(IntervalReading.objects.values_list("meter_id", flat=True).distinct())]
    assert set(pd.DatetimeIndex(monthly.read_at).tz_convert("Asia/Shanghai").day) == {1}


def test_summary_meter_is_the_area_sum_plus_technical_loss_and_anomalies_are_planted(seeded):
    home = Account.objects.get(bindings__user__username="c_demo", category="residential")
    summary = Meter.objects.get(area=home.area, role=Meter.Role.AREA_SUMMARY)
    customers = Meter.objects.filter(area=home.area, role=Meter.Role.CUSTOMER)

    def supplied(meter: Meter, start: dt.datetime, end: dt.datetime) -> float:
        # From the registers: they count through collection gaps (and start at installation).
        reads = RegisterRead.objects.filter(meter=meter, read_at__gte=start, read_at__lte=end).order_by("read_at")
        values = [float(r.total) for r in reads]
        return (values[-1] - values[0]) * float(meter.multiplier) if len(values) >= 2 else 0.0

    before = (WINDOW_START, dt.datetime(2026, 7, 1, tzinfo=SHANGHAI))  # before the anomalies
    sent = supplied(summary, *before)
    billed = sum(supplied(m, *before) for m in customers)
    assert 0.02 < (sent - billed) / sent < 0.08
    after = (dt.datetime(2026, 10, 1, tzinfo=SHANGHAI), WINDOW_END)
    sent_after = supplied(summary, *after)
    billed_after = sum(supplied(m, *after) for m in customers)
    assert (sent_after - billed_after) / sent_after > (sent - billed) / sent + 0.01  # the loss jumps

    metering_line = next(line for line in seeded.splitlines() if line.startswith("Metering:"))
    planted = {
        line.split()[2]: line
        for line in metering_line.split("Planted for line-loss analysis: ")[1].rstrip(".").split("; ")
    }
    bypassed, stopped = (Meter.objects.get(meter_no=n) for n in planted)
    assert bypassed.area_id == stopped.area_id == home.area_id
    curve = _curve(stopped)
    assert curve[curve.index >= "2026-09-21"].max() == 0 and curve[curve.index < "2026-09-21"].mean() > 0
    curve = _curve(bypassed)
    late, early = curve[curve.index >= "2026-07-23"].mean(), curve[curve.index < "2026-07-23"].mean()
    assert late < 0.4 * early


def test_every_reading_passes_the_ingestion_rules(seeded):
    limits = {
        m.pk: float(m.account.contracted_kva if m.account else m.area.transformer_kva) * 0.25 * 1.5
        for m in Meter.objects.select_related("account", "area")
    }
    multipliers = dict(Meter.objects.values_list("id", "multiplier"))
    tops = IntervalReading.objects.values("meter_id").annotate(top=Max("kwh")).values_list("meter_id", "top")
    for meter_id, biggest in tops:
        assert 0 <= biggest * multipliers[meter_id] <= Decimal(str(limits[meter_id]))


def test_the_seeder_is_reached_by_dotted_path_only():
    from django.apps import apps

    # billing's hook seeds the meters and readings first, then tariffs, bills and payments.
    assert apps.get_app_config("billing").demo_seeder == "billing.demo.bills.seed_billing_demo"
    assert metering_demo.seed_metering_demo.__module__ == "billing.demo.metering"


def test_demo_accounts_are_billed_and_the_demo_customer_has_something_to_pay(seeded):
    from billing.models import Bill, TariffAssignment

    assert "Billing:" in seeded
    assert TariffAssignment.objects.count() == Account.objects.count()
    demo_bills = Bill.objects.filter(account__bindings__user__username="c_demo").order_by("period_start")
    months = sorted({b.period_start for b in demo_bills})
    # Every closed month the demo customer's curves cover: 1 Dec 2025 to 1 Nov 2026 (the curves start on
    # 20 Nov 2025, so November 2025 has no metered start for them).
    assert months == [(dt.date(2025, 12, 1) + pd.DateOffset(months=n)).date() for n in range(11)]
    latest = [b for b in demo_bills if b.period_start == months[-1]]
    assert latest and all(b.status == "issued" and b.amount > 0 for b in latest)
    assert all(b.status == "paid" for b in demo_bills if b.period_start != months[-1])


def test_industrial_meters_read_reactive_energy_at_their_own_power_factor():
    import numpy as np

    from billing.demo.metering import _MeterPlan, _power_factor, _register_rows

    industrial = {"number": "3388461803", "category": Account.Category.INDUSTRIAL}
    power_factor = _power_factor(seed=42, account=industrial)
    assert 0.84 <= power_factor <= 0.97 and power_factor == _power_factor(seed=42, account=industrial)
    assert _power_factor(seed=42, account={**industrial, "category": Account.Category.COMMERCIAL}) is None

    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    plan = _MeterPlan(
        meter_no="M1",
        multiplier=1,
        has_tou=True,
        residential_tou=False,
        installed=start,
        removed=None,
        meter_id=7,
        power_factor=power_factor,
    )
    # Two reads a month apart: 0 then 1,000,000 hundredths (10,000 kWh) spread over the four TOU registers.
    cumulative = np.array([[0, 0, 0, 0], [100_000, 300_000, 400_000, 200_000]])
    first, second = _register_rows(
        plan=plan,
        reads_at=[start, start + dt.timedelta(days=31)],
        cumulative=cumulative,
        initial_kwh=0.0,
        shares=(1, 3, 4, 2),
    )
    active, reactive = second[2] - first[2], second[-1] - first[-1]
    # The month's power factor from the two registers: P / sqrt(P² + Q²) = the meter's own.
    assert abs(active / (active**2 + reactive**2) ** 0.5 - power_factor) < 1e-4
    plain = _register_rows(
        plan=_MeterPlan(
            meter_no="M2", multiplier=1, has_tou=False, residential_tou=True, installed=start, removed=None
        ),
        reads_at=[start],
        cumulative=cumulative[:1],
        initial_kwh=0.0,
        shares=(1, 1, 1, 1),
    )
    assert plain[0][3:] == (None, None, None, None, None)  # no TOU registers, no reactive register


def test_demo_weather_is_what_the_curves_were_drawn_with_and_the_system_forecast_uses_it(seeded):
    from analytics.models import ForecastModel, WeatherObservation
    from billing.demo.metering import demo_hourly_temperature

    hourly = demo_hourly_temperature(as_of=AS_OF, seed=42)
    assert len(hourly) == 365 * 24 and hourly[-1][0] < dt.datetime.combine(AS_OF, dt.time(), tzinfo=hourly[0][0].tzinfo)
    # Only the areas with load curves get weather: the others have nothing a forecast could learn from.
    curve_areas = set(
        Meter.objects.filter(id__in=IntervalReading.objects.values("meter")).values_list("area_id", flat=True)
    )
    assert set(WeatherObservation.objects.values_list("area_id", flat=True).distinct()) == curve_areas
    area = TransformerArea.objects.filter(pk__in=curve_areas).order_by("pk").first()
    stored = dict(WeatherObservation.objects.filter(area=area).values_list("at", "temperature_c"))
    assert len(stored) == len(hourly)
    at, celsius = hourly[5000]
    assert stored[at] == Decimal(f"{celsius:.2f}")
    system_model = ForecastModel.objects.get(scope__kind="system")
    assert system_model.uses_temperature and "temp" in system_model.features


def _metered_kwh(meter: Meter, start: dt.datetime, end: dt.datetime) -> tuple[Decimal, Decimal]:
    """(total register, sum of the TOU registers) advanced from ``start`` to ``end``, primary kWh."""
    reads = {r.read_at: r for r in RegisterRead.objects.filter(meter=meter, read_at__in=[start, end])}
    first, last = reads[start], reads[end]
    tou = sum(
        (
            getattr(last, n) - getattr(first, n)
            for n in ("sharp", "peak", "flat", "valley")
            if getattr(first, n) is not None
        ),
        Decimal(0),
    )
    return (last.total - first.total) * meter.multiplier, tou * meter.multiplier


def _from(meter: Meter, start: dt.date) -> dt.datetime:
    return max(dt.datetime.combine(start, dt.time(), tzinfo=SHANGHAI), meter.installed_at)


def test_every_closed_month_of_every_account_is_billed_at_its_metered_kwh(seeded):
    """Each account's live bills: one per closed month its meter covers from the month's 00:00 read,
    and each bill's kWh is what the registers advanced (× multiplier): the total register for a flat
    tariff, the TOU registers for a time-of-use one."""
    from billing.models import Bill

    first_read = dt.date(2025, 11, 1)  # the thirteen monthly reads: 1 Nov 2025 … 1 Nov 2026
    closed = [(first_read + pd.DateOffset(months=n)).date() for n in range(13)]
    checked = 0
    for meter in Meter.objects.filter(role=Meter.Role.CUSTOMER, removed_at__isnull=True).select_related("account"):
        read_days = {
            r.astimezone(SHANGHAI).date()
            for r in RegisterRead.objects.filter(meter=meter).values_list("read_at", flat=True)
        }
        read_at = set(RegisterRead.objects.filter(meter=meter).values_list("read_at", flat=True))
        expected = [
            (start, end)
            for start, end in itertools.pairwise(closed)
            if end in read_days and _from(meter, start) in read_at  # metered from the month's start
        ]
        bills = {
            b.period_start: b
            for b in Bill.objects.filter(account=meter.account).exclude(status="void").select_related("tariff")
        }
        assert sorted(bills) == [start for start, _ in expected], meter.account.number
        for start, end in expected:
            bill = bills[start]
            total, tou = _metered_kwh(meter, _from(meter, start), dt.datetime.combine(end, dt.time(), tzinfo=SHANGHAI))
            is_tou = bill.tariff.code in ("ZJ-RES-TOU", "EX-COM-TOU", "EX-IND-2P")
            assert bill.total_kwh == (tou if is_tou else total), (meter.account.number, start)
            checked += 1
    assert checked > 100


def test_the_bills_yearly_tier_meter_equals_the_usage_pages_year(seeded):
    """The demo customer's home: the latest bill's annual kWh (kWh billed earlier this year + this bill)
    is the usage page's 2026 total through the bill's last day."""
    from billing.models import Bill
    from billing.selectors.usage import monthly_totals

    home = Account.objects.get(bindings__user__username="c_demo", category=Account.Category.RESIDENTIAL)
    latest = Bill.objects.filter(account=home).exclude(status="void").latest("period_start")
    assert latest.period_start == dt.date(2026, 10, 1)
    months = monthly_totals(meters=list(Meter.objects.filter(account=home)), year=2026)
    usage = sum((m.this_year.kwh for m in months if m.this_year and m.month <= 10), Decimal(0))
    assert latest.annual_kwh_before + latest.total_kwh == round(usage, 2)


def test_tariff_advice_for_the_current_tariff_is_the_bills_to_the_fen(seeded):
    """Tariff advice (analytics) prices every month on the billing engine with the bill's own inputs:
    for every demo account with curves, the advisor's figure for its current tariff in each month is
    that month's issued bill — energy kWh and amount, to the fen. (Kept in this module to reuse its seed.)"""
    from analytics.services.tariffadvice import tariff_advice
    from billing.models import Bill

    as_of = dt.datetime.combine(AS_OF, dt.time(9), tzinfo=SHANGHAI)
    with_curves = IntervalReading.objects.values_list("meter_id", flat=True).distinct()
    curve_accounts = Account.objects.filter(meters__in=with_curves).distinct().order_by("number")
    compared = 0
    for account in curve_accounts:
        advice = tariff_advice(account=account, as_of=as_of)
        current = next(o for o in advice.options if o.is_current)
        assert current.priced, (account.number, current.problem)
        bills = {
            b.period_start: b
            for b in Bill.objects.filter(account=account, status__in=["issued", "paid", "partially_paid"])
        }
        for month in current.months:
            bill = bills.get(month.month)
            if bill is None:
                continue  # a month the demo did not bill (no metered start)
            energy_kwh = sum(line.quantity for line in bill.lines.all() if line.code.startswith("energy"))
            assert (month.kwh, month.amount) == (energy_kwh, bill.amount), (account.number, month.month)
            compared += 1
    assert compared >= 10 * curve_accounts.count() > 0
