"""Create billing_intervalreading ourselves (the model is unmanaged).

On PostgreSQL the table is declaratively partitioned by month of ``interval_start`` (Asia/Shanghai
month boundaries) with a DEFAULT partition as a safety net; ingestion creates the month partitions it
needs before writing and a beat task creates them ahead of time (billing.services.partitions). On
SQLite, the embedded default, it is a plain table with the same primary key.
"""

from django.db import migrations

POSTGRES_CREATE = """
CREATE TABLE billing_intervalreading (
    meter_id bigint NOT NULL,
    interval_start timestamp with time zone NOT NULL,
    kwh numeric(12, 4) NOT NULL,
    quality smallint NOT NULL DEFAULT 0,
    batch_id bigint NULL,
    CONSTRAINT billing_intervalreading_pkey PRIMARY KEY (meter_id, interval_start),
    CONSTRAINT intervalreading_kwh_not_negative CHECK (kwh >= 0),
    CONSTRAINT intervalreading_quality_known CHECK (quality IN (0, 1, 2))
) PARTITION BY RANGE (interval_start);
CREATE TABLE billing_intervalreading_default PARTITION OF billing_intervalreading DEFAULT;
"""
SQLITE_CREATE = """
CREATE TABLE billing_intervalreading (
    meter_id integer NOT NULL,
    interval_start datetime NOT NULL,
    kwh decimal NOT NULL CHECK (kwh >= 0),
    quality smallint NOT NULL DEFAULT 0 CHECK (quality IN (0, 1, 2)),
    batch_id bigint NULL,
    PRIMARY KEY (meter_id, interval_start)
);
"""


def create_table(apps, schema_editor):
    sql = POSTGRES_CREATE if schema_editor.connection.vendor == "postgresql" else SQLITE_CREATE
    schema_editor.execute(sql)


def drop_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE billing_intervalreading")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(create_table, drop_table)]
