"""``manage.py ingest_readings``: summary table, rejected rows listed, exit status only for unreadable files."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import IngestBatch, IntervalReading
from tests.factories import make_account, make_meter

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(tmp_path):
    make_meter(meter_no="M001", account=make_account(contracted_kva=Decimal("8")))
    good = tmp_path / "good.csv"
    good.write_text(
        "meter_no,timestamp,kwh\n"
        "M001,2026-11-01T00:00:00+08:00,0.5\n"
        "M001,2026-11-01T00:15:00+08:00,0.6\n"
        "M404,2026-11-01T00:15:00+08:00,0.6\n"
    )
    unknown = tmp_path / "weird.csv"
    unknown.write_text("a,b,c\n1,2,3\n")
    return good, unknown, tmp_path / "missing.csv"


def test_summary_table_and_rejected_rows_exit_zero(files):
    good, _, _ = files
    out = StringIO()
    call_command("ingest_readings", str(good), "--as-of", "2026-11-20T00:00:00+08:00", stdout=out, stderr=StringIO())
    text = out.getvalue()
    header, rule, row = [line for line in text.splitlines() if line.strip()][-3:]
    assert header.split()[:4] == ["file", "layout", "status", "received"]
    assert set(rule.replace(" ", "")) == {"-"}
    # received 3, inserted 2, updated 0, unchanged 0, duplicates 0, rejected 1, estimated 0
    assert row.split()[:10] == ["good.csv", "interval_long", "completed", "3", "2", "0", "0", "0", "1", "0"]
    assert "line 4: unknown_meter: meter M404 is not registered" in text
    assert IntervalReading.objects.count() == 2
    assert IngestBatch.objects.get().source == "command"


def test_unreadable_files_fail_the_command_but_readable_ones_are_ingested(files):
    good, unknown, missing = files
    err = StringIO()
    with pytest.raises(CommandError, match="2 file"):
        call_command(
            "ingest_readings",
            str(unknown),
            str(missing),
            str(good),
            "--as-of",
            "2026-11-20T00:00:00+08:00",
            stdout=StringIO(),
            stderr=err,
        )
    assert "weird.csv: cannot be read: unrecognised header a,b,c" in err.getvalue()
    assert "missing.csv: cannot be read" in err.getvalue()
    assert IntervalReading.objects.count() == 2


def test_naive_as_of_is_read_as_shanghai_time(files):
    good, _, _ = files
    call_command("ingest_readings", str(good), "--as-of", "2026-11-01T00:15:00", stdout=StringIO(), stderr=StringIO())
    # 00:00–00:15 has ended at 00:15 local; 00:15–00:30 has not, so it is rejected as future.
    batch = IngestBatch.objects.get()
    assert batch.as_of == dt.datetime(2026, 11, 1, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert sorted(batch.rejected_rows.values_list("reason_code", flat=True)) == ["future", "unknown_meter"]
