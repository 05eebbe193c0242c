"""MeterDayCompleteness.kwh: each meter-day's energy next to its counts, so line loss and other daily
totals read one row per meter-day instead of its 96 interval readings. Existing rows are filled from
the readings they count."""

from django.db import migrations, models

BACKFILL = {
    "postgresql": """
        UPDATE billing_meterdaycompleteness c SET kwh = s.kwh
        FROM (
            SELECT meter_id, (interval_start AT TIME ZONE 'Asia/Shanghai')::date AS day, sum(kwh) AS kwh
            FROM billing_intervalreading GROUP BY 1, 2
        ) s
        WHERE c.meter_id = s.meter_id AND c.day = s.day
    """,
    "sqlite": """
        UPDATE billing_meterdaycompleteness SET kwh = round(COALESCE((
            SELECT sum(r.kwh) FROM billing_intervalreading r
            WHERE r.meter_id = billing_meterdaycompleteness.meter_id
              AND date(r.interval_start, '+8 hours') = billing_meterdaycompleteness.day
        ), 0), 4)
    """,
}


def backfill(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0013_prepaid_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="meterdaycompleteness",
            name="kwh",
            field=models.DecimalField(
                decimal_places=4,
                default=0,
                help_text="Sum of the day's interval readings of every quality, before the meter's multiplier.",
                max_digits=14,
                verbose_name="kWh (meter side)",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
