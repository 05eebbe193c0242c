"""Set-based writes of one validated chunk: PostgreSQL stages it with COPY into a temporary table and
merges with one INSERT … ON CONFLICT; SQLite (embedded default) stages with executemany and merges
with its own upsert. Both count inserted / updated / unchanged the same way:

* a new key is inserted;
* an existing reading is updated when its value or quality differs (an ESTIMATED reading replaced by
  an actual one counts as updated) — except staff-EDITED readings, which ingestion never overwrites;
* everything else is unchanged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection

from billing.models import Quality

REGISTER_COLUMNS = ("total", "sharp", "peak", "flat", "valley")


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int
    unchanged: int


def _epoch_seconds(ts: pd.Series) -> pd.Series:
    return (ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)


# --- PostgreSQL -------------------------------------------------------------------------------

PG_INTERVAL_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ingest_interval_stage (
    meter_id bigint NOT NULL, interval_start timestamptz NOT NULL, kwh numeric(12, 4) NOT NULL, quality smallint NOT NULL
) ON COMMIT DELETE ROWS
"""
# PostgreSQL cannot return xmax from a partitioned table, so "inserted or updated" is told apart by
# counting the staged keys that already existed. Every part of one statement sees the same snapshot,
# so the count in the outer SELECT sees the table as it was before the merge.
PG_INTERVAL_MERGE = f"""
WITH merged AS (
    INSERT INTO billing_intervalreading AS r (meter_id, interval_start, kwh, quality, batch_id)
    SELECT meter_id, interval_start, kwh, quality, %(batch_id)s FROM ingest_interval_stage
    ON CONFLICT (meter_id, interval_start) DO UPDATE
        SET kwh = EXCLUDED.kwh, quality = EXCLUDED.quality, batch_id = EXCLUDED.batch_id
        WHERE r.quality <> {Quality.EDITED} AND (r.kwh, r.quality) IS DISTINCT FROM (EXCLUDED.kwh, EXCLUDED.quality)
    RETURNING 1
)
SELECT
    (SELECT count(*) FROM merged),
    (SELECT count(*) FROM ingest_interval_stage s JOIN billing_intervalreading r
        ON r.meter_id = s.meter_id AND r.interval_start = s.interval_start
        WHERE r.interval_start >= %(lo)s AND r.interval_start <= %(hi)s)
"""
PG_REGISTER_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ingest_register_stage (
    meter_id bigint NOT NULL, epoch bigint NOT NULL, total numeric(14, 2) NOT NULL,
    sharp numeric(14, 2), peak numeric(14, 2), flat numeric(14, 2), valley numeric(14, 2)
) ON COMMIT DELETE ROWS
"""
PG_REGISTER_MERGE = f"""
WITH merged AS (
    INSERT INTO billing_registerread AS r (meter_id, read_at, total, sharp, peak, flat, valley, quality, batch_id)
    SELECT meter_id, to_timestamp(epoch), total, sharp, peak, flat, valley, {Quality.ACTUAL}, %(batch_id)s
    FROM ingest_register_stage
    ON CONFLICT (meter_id, read_at) DO UPDATE
        SET total = EXCLUDED.total, sharp = EXCLUDED.sharp, peak = EXCLUDED.peak, flat = EXCLUDED.flat,
            valley = EXCLUDED.valley, quality = EXCLUDED.quality, batch_id = EXCLUDED.batch_id
        WHERE r.quality <> {Quality.EDITED}
          AND (r.total, r.sharp, r.peak, r.flat, r.valley, r.quality)
              IS DISTINCT FROM (EXCLUDED.total, EXCLUDED.sharp, EXCLUDED.peak, EXCLUDED.flat, EXCLUDED.valley, EXCLUDED.quality)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
"""


def _copy(cursor, *, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False)
    buffer.seek(0)
    # psycopg2's COPY API; the Django cursor wrapper hands it through to the raw cursor.
    cursor.cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", buffer)


def _utc_text(ts: pd.Series) -> np.ndarray:
    # numpy formats a million timestamps in milliseconds; pandas' strftime would take seconds.
    return np.datetime_as_string(
        ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]"), unit="s", timezone="UTC"
    )


def _pg_interval_merge(*, frame: pd.DataFrame, batch_id: int, lo, hi) -> MergeCounts:
    with connection.cursor() as cursor:
        cursor.execute(PG_INTERVAL_STAGE)
        cursor.execute("TRUNCATE ingest_interval_stage")  # empty even when the caller's transaction is nested
        _copy(cursor, table="ingest_interval_stage", frame=frame)
        cursor.execute(PG_INTERVAL_MERGE, {"batch_id": batch_id, "lo": lo, "hi": hi})
        merged, existed = cursor.fetchone()
    inserted = len(frame) - existed
    return MergeCounts(inserted=inserted, updated=merged - inserted, unchanged=existed - (merged - inserted))


def _pg_register_merge(*, frame: pd.DataFrame, batch_id: int) -> MergeCounts:
    with connection.cursor() as cursor:
        cursor.execute(PG_REGISTER_STAGE)
        cursor.execute("TRUNCATE ingest_register_stage")
        _copy(cursor, table="ingest_register_stage", frame=frame)
        cursor.execute(PG_REGISTER_MERGE, {"batch_id": batch_id})
        inserted, updated = cursor.fetchone()
    return MergeCounts(inserted=inserted, updated=updated, unchanged=len(frame) - inserted - updated)


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_datetime(ts: pd.Series) -> list[str]:
    # Django stores aware datetimes in SQLite as naive UTC text in this format.
    return ts.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S").tolist()


def _sqlite_merge(
    *, table: str, key: tuple[str, str], columns: tuple[str, ...], rows: list[tuple], batch_id: int, fixed: dict
) -> MergeCounts:
    stage = f"ingest_stage_{table}"
    all_columns = (*key, *columns)
    compare = " OR ".join(f"r.{c} IS NOT s.{c}" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{stage}")
        cursor.execute(f"CREATE TEMP TABLE {stage} ({', '.join(all_columns)})")
        cursor.executemany(f"INSERT INTO temp.{stage} VALUES ({', '.join('%s' for _ in all_columns)})", rows)
        join = f"r.{key[0]} = s.{key[0]} AND r.{key[1]} = s.{key[1]}"
        cursor.execute(f"SELECT count(*) FROM temp.{stage} s WHERE NOT EXISTS (SELECT 1 FROM {table} r WHERE {join})")
        inserted = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT count(*) FROM temp.{stage} s JOIN {table} r ON {join} WHERE r.quality <> %s AND ({compare})",
            [Quality.EDITED],
        )
        updated = cursor.fetchone()[0]
        fixed_columns = ", ".join(fixed)
        fixed_values = ", ".join("%s" for _ in fixed)
        set_clause = ", ".join(f"{c} = excluded.{c}" for c in (*columns, *fixed))
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(all_columns)}, {fixed_columns}) "
            f"SELECT {', '.join(all_columns)}, {fixed_values} FROM temp.{stage} WHERE true "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {set_clause} "
            f"WHERE {table}.quality <> %s AND ({' OR '.join(f'{table}.{c} IS NOT excluded.{c}' for c in columns)})",
            [*fixed.values(), Quality.EDITED],
        )
        cursor.execute(f"DROP TABLE temp.{stage}")
    return MergeCounts(inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated)


# --- entry points -----------------------------------------------------------------------------


def merge_interval_rows(*, valid: pd.DataFrame, batch_id: int) -> MergeCounts:
    if valid.empty:
        return MergeCounts(0, 0, 0)
    if connection.vendor == "postgresql":
        frame = pd.DataFrame(
            {
                "meter_id": valid["meter_id"],
                "interval_start": _utc_text(valid["ts"]),
                "kwh": valid["kwh_text"],
                "quality": valid["quality"],
            }
        )
        lo, hi = valid["ts"].min().to_pydatetime(), valid["ts"].max().to_pydatetime()
        return _pg_interval_merge(frame=frame, batch_id=batch_id, lo=lo, hi=hi)
    rows = list(
        zip(
            valid["meter_id"].tolist(),
            _sqlite_datetime(valid["ts"]),
            valid["kwh_text"].astype(float).round(4).tolist(),
            valid["quality"].astype(int).tolist(),
            strict=True,
        )
    )
    return _sqlite_merge(
        table="billing_intervalreading", key=("meter_id", "interval_start"), columns=("kwh", "quality"),
        rows=rows, batch_id=batch_id, fixed={"batch_id": batch_id},
    )  # fmt: skip


def merge_register_rows(*, valid: pd.DataFrame, batch_id: int) -> MergeCounts:
    if valid.empty:
        return MergeCounts(0, 0, 0)
    registers = {name: valid[f"{name}_text"].where(valid[f"{name}_text"] != "", None) for name in REGISTER_COLUMNS}
    if connection.vendor == "postgresql":
        frame = pd.DataFrame({"meter_id": valid["meter_id"], "epoch": _epoch_seconds(valid["ts"]), **registers})
        return _pg_register_merge(frame=frame, batch_id=batch_id)
    numeric = {
        name: [None if v is None else round(float(v), 2) for v in registers[name].tolist()] for name in REGISTER_COLUMNS
    }
    rows = list(zip(valid["meter_id"].tolist(), _sqlite_datetime(valid["ts"]), *numeric.values(), strict=True))
    return _sqlite_merge(
        table="billing_registerread", key=("meter_id", "read_at"), columns=REGISTER_COLUMNS, rows=rows,
        batch_id=batch_id, fixed={"batch_id": batch_id, "quality": Quality.ACTUAL},
    )  # fmt: skip
