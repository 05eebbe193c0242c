"""Seed the TOU calendars and the four tariffs of the issue (staff add new versions in the admin)."""

import datetime as dt
from decimal import Decimal as D

from django.db import migrations

VALID_FROM = dt.date(2024, 1, 1)
T = dt.time


def seed(apps, schema_editor):
    TouCalendar = apps.get_model("billing", "TouCalendar")
    TouWindow = apps.get_model("billing", "TouWindow")
    Tariff = apps.get_model("billing", "Tariff")
    TariffVersion = apps.get_model("billing", "TariffVersion")

    residential = TouCalendar.objects.create(
        code="RES-TOU", name="居民分时 peak 08–22 / valley 22–08", default_period="valley"
    )
    TouWindow.objects.create(calendar=residential, start=T(8), end=T(22), period="peak")

    general = TouCalendar.objects.create(
        code="COM-TOU", name="一般工商业分时 (sharp 19–21 in Jan/Jul/Aug/Dec)", default_period="peak"
    )
    for start, end, period in [
        (T(0), T(7), "valley"),
        (T(23), T(0), "valley"),
        (T(7), T(8), "flat"),
        (T(11), T(13), "flat"),
        (T(22), T(23), "flat"),
    ]:
        TouWindow.objects.create(calendar=general, start=start, end=end, period=period)
    TouWindow.objects.create(calendar=general, months="1,7,8,12", start=T(19), end=T(21), period="sharp")

    tiers = {
        "tier1_max_kwh": D("2760"),
        "tier2_max_kwh": D("4800"),
        "tier2_surcharge": D("0.05"),
        "tier3_surcharge": D("0.30"),
    }
    flat = Tariff.objects.create(code="ZJ-RES-FLAT", name="居民阶梯电价", category="residential")
    TariffVersion.objects.create(tariff=flat, valid_from=VALID_FROM, rate_total=D("0.538"), **tiers)
    tou = Tariff.objects.create(code="ZJ-RES-TOU", name="居民阶梯分时电价", category="residential")
    TariffVersion.objects.create(
        tariff=tou,
        valid_from=VALID_FROM,
        tou_calendar=residential,
        rate_peak=D("0.568"),
        rate_valley=D("0.288"),
        **tiers,
    )
    commercial = Tariff.objects.create(code="EX-COM-TOU", name="一般工商业分时电价", category="commercial")
    TariffVersion.objects.create(
        tariff=commercial,
        valid_from=VALID_FROM,
        tou_calendar=general,
        rate_sharp=D("1.20"),
        rate_peak=D("1.00"),
        rate_flat=D("0.65"),
        rate_valley=D("0.30"),
    )
    industrial = Tariff.objects.create(code="EX-IND-2P", name="大工业两部制电价", category="industrial")
    TariffVersion.objects.create(
        tariff=industrial,
        valid_from=VALID_FROM,
        tou_calendar=general,
        rate_sharp=D("1.05"),
        rate_peak=D("0.85"),
        rate_flat=D("0.60"),
        rate_valley=D("0.35"),
        capacity_rate=D("30"),
        demand_rate=D("40"),
        power_factor_standard=D("0.90"),
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_tariffs")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
