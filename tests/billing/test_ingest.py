"""Meter-data ingestion: every layout, every rejection reason, idempotence, duplicates, estimation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from billing.models import IngestBatch, IntervalReading, MeterDayCompleteness, Quality, RegisterRead
from billing.services.ingest import BatchInputError, create_batch, create_batch_from_json, process_batch
from tests.factories import SHANGHAI, make_account, make_meter

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def ingest(tmp_path):
    def run(
        content: str | bytes, *, suffix: str = ".csv", as_of: dt.datetime = AS_OF, chunk_rows: int = 200_000
    ) -> IngestBatch:
        path = tmp_path / f"upload-{len(list(tmp_path.iterdir()))}{suffix}"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        batch = create_batch(source=IngestBatch.Source.COMMAND, path=path, filename=path.name, as_of=as_of)
        return process_batch(batch_id=batch.pk, chunk_rows=chunk_rows)

    return run


@pytest.fixture
def meter():
    # 8 kVA residential: at most 8 × 0.25 h × 1.5 = 3 kWh in a 15-minute interval before it is a spike.
    return make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))


def readings(meter_no="M001"):
    return {
        (r.interval_start.astimezone(SHANGHAI).strftime("%m-%d %H:%M")): (r.kwh, r.quality)
        for r in IntervalReading.objects.filter(meter__meter_no=meter_no)
    }


def counts(batch: IngestBatch) -> dict:
    return {
        k: getattr(batch, k)
        for k in ("received", "inserted", "updated", "unchanged", "duplicates", "rejected", "estimated")
    }


def test_long_csv_with_offsets_and_optional_quality(ingest, meter):
    batch = ingest(
        "meter_no,timestamp,kwh,quality\n"
        "M001,2026-11-01T00:00:00+08:00,0.25,A\n"
        "M001,2026-11-01T00:15:00+08:00,0.3125,\n"
        "M001,2026-10-31T16:30:00Z,0.5,E\n"
    )
    assert batch.status == IngestBatch.Status.COMPLETED
    assert batch.layout == "interval_long"
    assert counts(batch) == dict(received=3, inserted=3, updated=0, unchanged=0, duplicates=0, rejected=0, estimated=0)
    assert readings() == {
        "11-01 00:00": (Decimal("0.2500"), Quality.ACTUAL),
        "11-01 00:15": (Decimal("0.3125"), Quality.ACTUAL),
        "11-01 00:30": (Decimal("0.5000"), Quality.ESTIMATED),  # 16:30Z is 00:30 in Shanghai
    }


@pytest.mark.parametrize("points", [96, 48, 24])
def test_wide_daily_curves(ingest, points):
    make_meter(meter_no="M001", interval_minutes=1440 // points, account=make_account(contracted_kva=Decimal("8")))
    values = [f"{0.1 + i / 1000:.3f}" for i in range(points)]
    header = "meter_no,date," + ",".join(f"p{i}" for i in range(1, points + 1))
    batch = ingest(f"{header}\nM001,2026-11-02,{','.join(values)}\n")
    assert batch.layout == f"interval_wide_{points}"
    assert (batch.received, batch.inserted, batch.rejected) == (points, points, 0)
    stored = readings()
    step = 1440 // points
    last = f"11-02 {(points - 1) * step // 60:02d}:{(points - 1) * step % 60:02d}"
    assert stored["11-02 00:00"][0] == Decimal(values[0])
    assert stored[last][0] == Decimal(values[-1])


def test_chinese_headers_and_gb18030_encoding(ingest, meter):
    content = "表号,时间,电量\nM001,2026-11-01 08:00:00,0.75\n".encode("gb18030")
    batch = ingest(content)
    assert batch.layout == "interval_long"
    # No offset: read as Asia/Shanghai local time.
    assert readings() == {"11-01 08:00": (Decimal("0.7500"), Quality.ACTUAL)}


def test_register_reads_csv(ingest, meter):
    batch = ingest(
        "meter_no,read_at,total,sharp,peak,flat,valley\n"
        "M001,2026-11-01T00:00:00+08:00,1000.00,100.00,400.00,300.00,200.00\n"
        "M001,2026-11-02T00:00:00+08:00,1012.50,101.00,405.00,303.50,203.00\n"
    )
    assert batch.layout == "register"
    assert (batch.inserted, batch.rejected) == (2, 0)
    latest = RegisterRead.objects.get(read_at=dt.datetime(2026, 11, 2, tzinfo=SHANGHAI))
    assert (latest.total, latest.peak, latest.valley) == (Decimal("1012.50"), Decimal("405.00"), Decimal("203.00"))


def test_json_batch(meter):
    payload = {"readings": [{"meter_no": "M001", "timestamp": "2026-11-01T00:00:00+08:00", "kwh": "0.4"}]}
    batch = create_batch_from_json(source=IngestBatch.Source.API, payload=payload, as_of=AS_OF)
    batch = process_batch(batch_id=batch.pk)
    assert (batch.layout, batch.inserted) == ("interval_long", 1)
    assert readings() == {"11-01 00:00": (Decimal("0.4000"), Quality.ACTUAL)}


def test_xlsx_export(ingest, meter, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["meter_no", "timestamp", "kwh"])
    sheet.append(["M001", dt.datetime(2026, 11, 1, 9, 0), 1.25])  # naive cell: local time
    sheet.append(["M001", "2026-11-01T09:15:00+08:00", "oops"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    batch = ingest(path.read_bytes(), suffix=".xlsx")
    assert (batch.layout, batch.inserted, batch.rejected) == ("interval_long", 1, 1)
    assert readings() == {"11-01 09:00": (Decimal("1.2500"), Quality.ACTUAL)}
    rejected = batch.rejected_rows.get()
    assert (rejected.line_number, rejected.reason_code) == (3, "malformed")


@pytest.mark.parametrize(
    "header",
    ["meter,when,amount", "meter_no,date,p1,p2,p3", "", "meter_no,read_at,total"],
)
def test_unknown_layouts_are_refused_with_a_clear_message(ingest, header):
    with pytest.raises(BatchInputError) as excinfo:
        ingest(f"{header}\nX,1,2\n")
    message = str(excinfo.value)
    assert "expected" in message or "p1…p96" in message or "empty" in message


def test_every_interval_rejection_reason_with_line_numbers_while_good_rows_land(ingest, meter):
    make_meter(
        meter_no="M-OLD",
        account=meter.account,
        installed_at=dt.datetime(2025, 1, 1, tzinfo=SHANGHAI),
        removed_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI),
    )
    batch = ingest(
        "meter_no,timestamp,kwh\n"
        "M001,2026-11-01T00:00:00+08:00,0.5\n"  # 2 good
        "M404,2026-11-01T00:00:00+08:00,0.5\n"  # 3 unknown meter
        "M-OLD,2026-11-01T00:00:00+08:00,0.5\n"  # 4 removed before
        "M001,2025-06-01T00:00:00+08:00,0.5\n"  # 5 before installation
        "M001,2026-11-01T00:07:00+08:00,0.5\n"  # 6 off grid
        "M001,2026-11-20T12:00:00+08:00,0.5\n"  # 7 interval ends 12:15 > as_of 12:00: future
        "M001,2026-11-01T00:30:00+08:00,-0.1\n"  # 8 negative
        "M001,2026-11-01T00:45:00+08:00,3.5\n"  # 9 spike: 3.5 > 8 kVA × 0.25 h × 1.5 = 3.0
        "M001,not-a-time,0.5\n"  # 10 malformed timestamp
        "M001,2026-11-01T01:00:00+08:00,abc\n"  # 11 malformed value
        "M001,2026-11-01T01:15:00+08:00\n"  # 12 missing field
        "M001,2026-11-01T01:30:00+08:00,0.5,A,extra\n"  # 13 too many fields
        "M001,2026-11-01T00:15:00+08:00,3.0\n"  # 14 good: exactly at the spike limit
    )
    rejected = {r.line_number: r.reason_code for r in batch.rejected_rows.all()}
    assert rejected == {
        3: "unknown_meter",
        4: "not_installed",
        5: "not_installed",
        6: "off_grid",
        7: "future",
        8: "negative",
        9: "spike",
        10: "malformed",
        11: "malformed",
        12: "malformed",
        13: "malformed",
    }
    assert (batch.received, batch.inserted, batch.rejected) == (13, 2, 11)
    assert set(readings()) == {"11-01 00:00", "11-01 00:15"}
    assert batch.rejected_rows.get(line_number=3).raw == "M404,2026-11-01T00:00:00+08:00,0.5"
    assert "3.0" in batch.rejected_rows.get(line_number=9).message


def test_register_rejections_backwards_rollover_and_tou_sum(ingest, meter):
    make_meter(meter_no="M-ROLL", account=meter.account, register_digits=4)
    RegisterRead.objects.create(meter=meter, read_at=dt.datetime(2026, 10, 31, tzinfo=SHANGHAI), total=Decimal("500"))
    batch = ingest(
        "meter_no,read_at,total,sharp,peak,flat,valley\n"
        "M001,2026-11-01T00:00:00+08:00,499.00,,,,\n"  # 2 below the stored 500: backwards
        "M001,2026-11-02T00:00:00+08:00,510.00,10.00,200.00,150.00,100.00\n"  # 3 sum 460 ≠ 510
        "M001,2026-11-03T00:00:00+08:00,520.00,10.00,250.00,160.00,100.05\n"  # 4 sum 520.05: within 0.1
        "M-ROLL,2026-11-01T00:00:00+08:00,9990.00,,,,\n"  # 5 good
        "M-ROLL,2026-11-02T00:00:00+08:00,12.00,,,,\n"  # 6 rolled over 9999 → 0: not backwards
        "M001,2026-11-21T00:00:00+08:00,530.00,,,,\n"  # 7 future
        "M001,2026-11-04T00:00:00+08:00,-1,,,,\n"  # 8 negative
    )
    rejected = {r.line_number: r.reason_code for r in batch.rejected_rows.all()}
    assert rejected == {2: "register_backwards", 3: "tou_sum_mismatch", 7: "future", 8: "negative"}
    assert batch.inserted == 3


def test_tou_sum_check_unwraps_a_wrapped_total(ingest, meter):
    """A four-digit dial (rollover 10,000): the total wraps from 9,990.00 to 12.00 while the TOU registers
    (2,000 + 3,000 + 2,000 + 2,990 = 9,990) go on to 10,012.00 — one turn apart, the same energy: every
    later read is accepted, not rejected for ever. A read whose registers really disagree still is."""
    roll = make_meter(meter_no="M-WRAP", account=meter.account, register_digits=4)
    RegisterRead.objects.create(
        meter=roll,
        read_at=dt.datetime(2026, 10, 31, tzinfo=SHANGHAI),
        total=Decimal("9990.00"),
        sharp=Decimal("2000.00"),
        peak=Decimal("3000.00"),
        flat=Decimal("2000.00"),
        valley=Decimal("2990.00"),
    )
    batch = ingest(
        "meter_no,read_at,total,sharp,peak,flat,valley\n"
        "M-WRAP,2026-11-01T00:00:00+08:00,12.00,2000.00,3005.00,2000.00,3007.00\n"  # 2 wrapped: 10,012 − 10,000
        "M-WRAP,2026-11-02T00:00:00+08:00,30.00,2000.00,3015.00,2000.00,3015.00\n"  # 3 and the next day too
        "M-WRAP,2026-11-03T00:00:00+08:00,40.00,2000.00,3015.00,2000.00,3015.00\n"  # 4 TOU stood still: 10,030 ≠ 10,040
    )
    rejected = {r.line_number: (r.reason_code, r.message) for r in batch.rejected_rows.all()}
    assert rejected == {
        4: ("tou_sum_mismatch", "sharp+peak+flat+valley = 10030.0 but total = 40.0 (+1 turn(s) of the dial unwrapped)")
    }
    assert batch.inserted == 2


def test_register_reads_carry_the_reactive_register_with_the_same_rules(ingest, meter):
    """The register layout takes an optional reactive (无功, kvarh) column: stored, and checked like every
    register — backwards is rejected, a rollover is not; a file without the column leaves it as it was."""
    make_meter(meter_no="M-RX", account=meter.account, register_digits=4)
    batch = ingest(
        "表号,抄表时间,总,尖,峰,平,谷,无功\n"
        "M001,2026-11-01T00:00:00+08:00,100.00,0.00,60.00,0.00,40.00,50.00\n"  # 2
        "M001,2026-11-02T00:00:00+08:00,110.00,0.00,66.00,0.00,44.00,45.00\n"  # 3 reactive went backwards
        "M-RX,2026-11-01T00:00:00+08:00,10.00,,,,,9995.00\n"  # 4
        "M-RX,2026-11-02T00:00:00+08:00,20.00,,,,,3.00\n"  # 5 reactive rolled over 9,999 → 0: fine
    )
    rejected = {r.line_number: r.reason_code for r in batch.rejected_rows.all()}
    assert rejected == {3: "register_backwards"} and batch.inserted == 3
    stored = {
        (r.meter.meter_no, r.read_at.astimezone(SHANGHAI).day): r.reactive
        for r in RegisterRead.objects.select_related("meter")
    }
    assert stored == {("M001", 1): Decimal("50.00"), ("M-RX", 1): Decimal("9995.00"), ("M-RX", 2): Decimal("3.00")}
    again = ingest(
        "meter_no,read_at,total,sharp,peak,flat,valley\nM001,2026-11-01T00:00:00+08:00,100.00,0.00,60.00,0.00,40.00\n"
    )
    assert again.unchanged == 1 and RegisterRead.objects.get(meter=meter).reactive == Decimal("50.00")


def test_wide_row_rejects_only_its_bad_point(ingest, meter):
    values = ["0.1"] * 96
    values[36] = "-0.2"  # p37 = 09:00
    header = "meter_no,date," + ",".join(f"p{i}" for i in range(1, 97))
    batch = ingest(f"{header}\nM001,2026-11-02,{','.join(values)}\n")
    assert (batch.received, batch.inserted, batch.rejected) == (96, 95, 1)
    rejected = batch.rejected_rows.get()
    assert (rejected.line_number, rejected.reason_code) == (2, "negative")
    assert rejected.message.startswith("p37")
    # The rejected point leaves a 15-minute gap, which estimation fills between its 0.1 neighbours.
    assert readings()["11-02 09:00"] == (Decimal("0.1000"), Quality.ESTIMATED)


def test_same_file_twice_changes_nothing_and_a_correction_updates(ingest, meter):
    content = "meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.5\nM001,2026-11-01T00:15:00+08:00,0.6\n"
    first = ingest(content)
    second = ingest(content)
    assert (first.inserted, first.unchanged) == (2, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    corrected = ingest("meter_no,timestamp,kwh\nM001,2026-11-01T00:15:00+08:00,0.65\n")
    assert (corrected.inserted, corrected.updated, corrected.unchanged) == (0, 1, 0)
    assert readings()["11-01 00:15"] == (Decimal("0.6500"), Quality.ACTUAL)


def test_duplicates_in_one_file_last_row_wins_and_are_counted(ingest, meter):
    batch = ingest(
        "meter_no,timestamp,kwh\n"
        "M001,2026-11-01T00:00:00+08:00,0.5\n"
        "M001,2026-11-01T00:00:00+08:00,0.7\n"
        "M001,2026-10-31T16:00:00Z,0.9\n"  # the same instant written in UTC
    )
    assert (batch.received, batch.inserted, batch.duplicates) == (3, 1, 2)
    assert readings()["11-01 00:00"] == (Decimal("0.9000"), Quality.ACTUAL)


def test_chunked_processing_counts_the_same(ingest, meter):
    rows = "".join(f"M001,2026-11-01T{h:02d}:{m:02d}:00+08:00,0.{h + 1}\n" for h in range(6) for m in (0, 15, 30, 45))
    batch = ingest("meter_no,timestamp,kwh\n" + rows, chunk_rows=5)
    assert batch.chunks.count() == 5  # 24 rows in chunks of 5
    assert (batch.received, batch.inserted) == (24, 24)


def test_short_gap_is_interpolated_and_replaced_by_actuals(ingest, meter):
    # 00:00 = 0.4, 00:15–00:45 missing (45 min ≤ 2 h), 01:00 = 0.8: steps of (0.8 − 0.4) / 4 = 0.1.
    batch = ingest("meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.4\nM001,2026-11-01T01:00:00+08:00,0.8\n")
    assert batch.estimated == 3
    stored = readings()
    assert [stored[t] for t in ("11-01 00:15", "11-01 00:30", "11-01 00:45")] == [
        (Decimal("0.5000"), Quality.ESTIMATED),
        (Decimal("0.6000"), Quality.ESTIMATED),
        (Decimal("0.7000"), Quality.ESTIMATED),
    ]
    late = ingest("meter_no,timestamp,kwh\nM001,2026-11-01T00:30:00+08:00,0.55\n")
    assert (late.updated, late.inserted) == (1, 0)
    assert readings()["11-01 00:30"] == (Decimal("0.5500"), Quality.ACTUAL)


def test_long_gap_uses_the_same_slots_of_previous_similar_days(ingest, meter):
    # Mon 2026-11-16 is a working day; the previous working days are 13, 12, 11, 10 Nov (Fri–Tue).
    # On those days slot 10:00 held 1.0, 2.0, 0.6, 0.4 → estimate = (1.0 + 2.0 + 0.6 + 0.4) / 4 = 1.0.
    # The weekend (14–15 Nov, value 2.9) is a different kind of day and must not count.
    lines = ["meter_no,timestamp,kwh"]
    for day, value in [(10, "0.4"), (11, "0.6"), (12, "2.0"), (13, "1.0"), (14, "2.9"), (15, "2.9")]:
        lines.append(f"M001,2026-11-{day:02d}T10:00:00+08:00,{value}")
    ingest("\n".join(lines) + "\n")
    # A 4-hour gap on the 16th: 08:00 present, 08:15–11:45 missing, 12:00 present.
    batch = ingest("meter_no,timestamp,kwh\nM001,2026-11-16T08:00:00+08:00,0.2\nM001,2026-11-16T12:00:00+08:00,0.2\n")
    stored = readings()
    assert stored["11-16 10:00"] == (Decimal("1.0000"), Quality.ESTIMATED)
    # Slots with no history on similar days fall back to interpolation between 0.2 and 0.2.
    assert stored["11-16 09:00"] == (Decimal("0.2000"), Quality.ESTIMATED)
    # 08:15 … 11:45 is 15 slots; the night before, 15 Nov 10:00 → 16 Nov 08:00, is 88 steps = 87 more.
    assert batch.estimated == 15 + 87


def test_completeness_per_meter_day(ingest, meter):
    rows = "".join(f"M001,2026-11-03T{h:02d}:{m:02d}:00+08:00,0.1\n" for h in range(12) for m in (0, 15, 30, 45))
    ingest("meter_no,timestamp,kwh\n" + rows)
    day = MeterDayCompleteness.objects.get(meter=meter, day=dt.date(2026, 11, 3))
    # 48 of 96 quarter-hours present, no gaps between them to estimate.
    assert (day.expected, day.actual, day.estimated) == (96, 48, 0)
    assert day.percent_present == 50.0
    assert day.kwh == Decimal("4.8000")  # the day's energy: 48 × 0.1 kWh

    # A corrected reading (00:00 0.1 → 0.35) and one more (12:00, 0.25) change the day's energy with it:
    # 4.8 − 0.1 + 0.35 + 0.25 = 5.3 kWh over 49 intervals.
    ingest("meter_no,timestamp,kwh\nM001,2026-11-03T00:00:00+08:00,0.35\nM001,2026-11-03T12:00:00+08:00,0.25\n")
    day.refresh_from_db()
    assert (day.actual, day.kwh) == (49, Decimal("5.3000"))


def test_migration_fills_the_day_energy_of_existing_rows(ingest, meter):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps as django_apps
    from django.db import connection

    migration = importlib.import_module("billing.migrations.0014_meterday_kwh")
    # One unbroken run (nothing to estimate) across local midnight: 23:00–23:45 on the 3rd at 0.3 kWh,
    # 00:00–01:15 on the 4th at 0.4 kWh; all of it falls on 3 November in UTC.
    start = dt.datetime(2026, 11, 3, 23, 0, tzinfo=SHANGHAI)
    slots = [start + dt.timedelta(minutes=15 * i) for i in range(10)]
    rows = "".join(f"M001,{t.isoformat()},{'0.3' if t.day == 3 else '0.4'}\n" for t in slots)
    ingest("meter_no,timestamp,kwh\n" + rows)
    MeterDayCompleteness.objects.update(kwh=0)  # as rows written before the column existed

    # backfill() uses only the editor's connection; a real SQLite schema editor cannot open inside the
    # test's transaction.
    migration.backfill(django_apps, SimpleNamespace(connection=connection))

    # 4 × 0.3 = 1.2 kWh on the 3rd, 6 × 0.4 = 2.4 kWh on the 4th (local days, not UTC ones)
    stored = dict(MeterDayCompleteness.objects.filter(meter=meter).values_list("day", "kwh"))
    assert stored == {dt.date(2026, 11, 3): Decimal("1.2000"), dt.date(2026, 11, 4): Decimal("2.4000")}


def test_staff_edited_readings_are_not_overwritten_by_ingestion(ingest, meter):
    IntervalReading.objects.create(
        meter=meter,
        interval_start=dt.datetime(2026, 11, 1, tzinfo=SHANGHAI),
        kwh=Decimal("0.3"),
        quality=Quality.EDITED,
    )
    batch = ingest("meter_no,timestamp,kwh\nM001,2026-11-01T00:00:00+08:00,0.9\n")
    assert (batch.updated, batch.unchanged) == (0, 1)
    assert readings()["11-01 00:00"] == (Decimal("0.3000"), Quality.EDITED)


def test_json_with_bad_records(meter):
    payload = {
        "readings": [
            {"meter_no": "M001", "timestamp": "2026-11-01T00:00:00+08:00", "kwh": 0.5},
            {"meter_no": "M001", "timestamp": "x", "kwh": 1},
        ]
    }
    batch = process_batch(batch_id=create_batch_from_json(source="api", payload=payload, as_of=AS_OF).pk)
    rejected = batch.rejected_rows.get()
    assert (rejected.line_number, rejected.reason_code) == (2, "malformed")
    assert json.loads(rejected.raw)["timestamp"] == "x"
