"""Set-based writes of one validated chunk. Both databases count inserted / updated / unchanged the
same way:

* a new key is inserted;
* an existing reading is updated when its value or quality differs (an ESTIMATED reading replaced by
  an actual one counts as updated) — except staff-EDITED readings, which ingestion never overwrites;
* everything else is unchanged.

PostgreSQL, interval readings: the rows go over the wire in COPY's binary format, built with numpy
(no text formatting, and nothing for the server to parse). When none of the chunk's meters has a
stored reading in the chunk's time range — the normal case for new data — they are copied straight
into ``billing_intervalreading`` inside a savepoint: the COPY-speed path. Otherwise (re-sent or
corrected data), or if a concurrent writer got there first (unique violation → the savepoint rolls
back), they are copied into a temporary stage and merged with one statement that compares before it
writes, so re-sending unchanged data writes nothing at all.

PostgreSQL, register reads: COPY into a stage and one INSERT … ON CONFLICT. SQLite (embedded
default): executemany into a temporary stage and SQLite's own upsert.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction

from billing.models import Quality
from billing.selectors.usage import READINGS_NAMESPACE
from core.cache import bump_source_versions

REGISTER_COLUMNS = ("total", "sharp", "peak", "flat", "valley", "reactive")
PG_EPOCH_US = 946_684_800 * 1_000_000  # 2000-01-01 UTC, the origin of PostgreSQL's binary timestamps
COPY_READ_SIZE = 1 << 20


@dataclass(frozen=True)
class MergeCounts:
    inserted: int
    updated: int
    unchanged: int


# --- PostgreSQL -------------------------------------------------------------------------------

INTERVAL_COLUMNS = "meter_id, interval_start, kwh, quality, batch_id"
PG_INTERVAL_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ingest_interval_stage (
    meter_id bigint NOT NULL, interval_start timestamptz NOT NULL, kwh numeric(12, 4) NOT NULL,
    quality smallint NOT NULL, batch_id bigint
) ON COMMIT DELETE ROWS
"""
# The stored readings that could collide with a chunk: per meter, those between its first and last
# reading in the chunk. LATERAL with OFFSET 0 (which keeps the planner from flattening it into a
# join) makes it one primary-key range scan per meter whatever the statistics say: a partition just
# filled by COPY has none yet, and the plain join was planned as a sort of the whole month. They come back in COPY's binary format with kWh × 10^4 as a bigint,
# straight into a numpy array.
PG_INTERVAL_STORED = """
COPY (
    SELECT r.meter_id, extract(epoch FROM r.interval_start)::bigint, (r.kwh * 10000)::bigint, r.quality
    FROM unnest(%(meter_ids)s::bigint[], %(firsts)s::timestamptz[], %(lasts)s::timestamptz[])
        AS c(meter_id, first_start, last_start)
    CROSS JOIN LATERAL (
        SELECT meter_id, interval_start, kwh, quality FROM billing_intervalreading
        WHERE meter_id = c.meter_id AND interval_start >= c.first_start AND interval_start <= c.last_start
            AND interval_start >= %(lo)s AND interval_start <= %(hi)s
        OFFSET 0
    ) r
) TO STDOUT WITH (FORMAT binary)
"""
# PostgreSQL cannot return xmax from a partitioned table, so new and existing keys are told apart by
# joining the stage to the table first; every part of one statement sees the same snapshot. Only
# new or changed rows reach the INSERT, so an unchanged re-send locks and writes nothing; ON
# CONFLICT stays as the guard against a concurrent writer.
PG_INTERVAL_MERGE = f"""
WITH staged AS MATERIALIZED (
    SELECT s.meter_id, s.interval_start, s.kwh, s.quality, r.kwh AS old_kwh, r.quality AS old_quality
    FROM ingest_interval_stage s
    LEFT JOIN billing_intervalreading r
        ON r.meter_id = s.meter_id AND r.interval_start = s.interval_start
        AND r.interval_start >= %(lo)s AND r.interval_start <= %(hi)s
), merged AS (
    INSERT INTO billing_intervalreading AS r (meter_id, interval_start, kwh, quality, batch_id)
    SELECT meter_id, interval_start, kwh, quality, %(batch_id)s FROM staged
    WHERE old_quality IS NULL
       OR (old_quality <> {Quality.EDITED} AND (old_kwh, old_quality) IS DISTINCT FROM (kwh, quality))
    ON CONFLICT (meter_id, interval_start) DO UPDATE
        SET kwh = EXCLUDED.kwh, quality = EXCLUDED.quality, batch_id = EXCLUDED.batch_id
        WHERE r.quality <> {Quality.EDITED} AND (r.kwh, r.quality) IS DISTINCT FROM (EXCLUDED.kwh, EXCLUDED.quality)
    RETURNING 1
)
SELECT (SELECT count(*) FROM staged WHERE old_quality IS NOT NULL), (SELECT count(*) FROM merged)
"""
PG_REGISTER_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS ingest_register_stage (
    meter_id bigint NOT NULL, epoch bigint NOT NULL, total numeric(14, 2) NOT NULL,
    sharp numeric(14, 2), peak numeric(14, 2), flat numeric(14, 2), valley numeric(14, 2),
    reactive numeric(14, 2)
) ON COMMIT DELETE ROWS
"""
PG_REGISTER_MERGE = f"""
WITH merged AS (
    INSERT INTO billing_registerread AS r
        (meter_id, read_at, total, sharp, peak, flat, valley, reactive, quality, batch_id)
    SELECT meter_id, to_timestamp(epoch), total, sharp, peak, flat, valley, reactive, {Quality.ACTUAL}, %(batch_id)s
    FROM ingest_register_stage
    ON CONFLICT (meter_id, read_at) DO UPDATE
        SET total = EXCLUDED.total, sharp = EXCLUDED.sharp, peak = EXCLUDED.peak, flat = EXCLUDED.flat,
            valley = EXCLUDED.valley, reactive = COALESCE(EXCLUDED.reactive, r.reactive),
            quality = EXCLUDED.quality, batch_id = EXCLUDED.batch_id
        WHERE r.quality <> {Quality.EDITED}
          AND (r.total, r.sharp, r.peak, r.flat, r.valley, r.reactive, r.quality)
              IS DISTINCT FROM (EXCLUDED.total, EXCLUDED.sharp, EXCLUDED.peak, EXCLUDED.flat, EXCLUDED.valley,
                                COALESCE(EXCLUDED.reactive, r.reactive), EXCLUDED.quality)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
"""

# One interval reading in COPY BINARY: field count, then (length, value) per column. kwh is a
# numeric of three base-10000 digits with weight 1 (up to 9,999,9999.9999 — the column's numeric(12,4)
# range); PostgreSQL strips the leading zero digits itself. Without a batch the row stops after
# quality and batch_id is left NULL.
_INTERVAL_FIELDS = [
    ("fields", ">i2"),
    ("meter_len", ">i4"),
    ("meter_id", ">i8"),
    ("ts_len", ">i4"),
    ("ts", ">i8"),
    ("kwh_len", ">i4"),
    ("ndigits", ">i2"),
    ("weight", ">i2"),
    ("sign", ">i2"),
    ("dscale", ">i2"),
    ("d0", ">i2"),
    ("d1", ">i2"),
    ("d2", ">i2"),
    ("quality_len", ">i4"),
    ("quality", ">i2"),
]
_INTERVAL_ROW = np.dtype([*_INTERVAL_FIELDS, ("batch_len", ">i4"), ("batch_id", ">i8")])
_INTERVAL_ROW_NO_BATCH = np.dtype(_INTERVAL_FIELDS)
_STORED_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("meter_len", ">i4"),
        ("meter_id", ">i8"),
        ("epoch_len", ">i4"),
        ("epoch", ">i8"),
        ("units_len", ">i4"),
        ("units", ">i8"),
        ("quality_len", ">i4"),
        ("quality", ">i2"),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"


class _BufferReader:
    """A read-only file over a buffer for copy_expert, without copying the whole buffer again."""

    def __init__(self, buffer: bytearray) -> None:
        self._view = memoryview(buffer)
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size < 0 else min(len(self._view), self._at + size)
        part = bytes(self._view[self._at : end])
        self._at = end
        return part


def interval_copy_payload(*, valid: pd.DataFrame, batch_id: int | None) -> bytearray:
    """Readings (meter_id, epoch, kwh_units, quality) as a COPY … (FORMAT binary) stream for
    interval_copy_columns(batch_id), built in place in one buffer."""
    dtype = _INTERVAL_ROW if batch_id is not None else _INTERVAL_ROW_NO_BATCH
    buffer = bytearray(len(_COPY_HEADER) + len(valid) * dtype.itemsize + len(_COPY_TRAILER))
    buffer[: len(_COPY_HEADER)] = _COPY_HEADER
    buffer[len(buffer) - len(_COPY_TRAILER) :] = _COPY_TRAILER
    rows = np.frombuffer(buffer, dtype=dtype, count=len(valid), offset=len(_COPY_HEADER))
    units = valid["kwh_units"].to_numpy(dtype=np.int64)  # kWh × 10^4, never negative here
    rows["fields"] = 5 if batch_id is not None else 4
    rows["meter_len"], rows["meter_id"] = 8, valid["meter_id"].to_numpy()
    rows["ts_len"], rows["ts"] = 8, valid["epoch"].to_numpy(dtype=np.int64) * 1_000_000 - PG_EPOCH_US
    rows["kwh_len"], rows["ndigits"], rows["weight"], rows["sign"], rows["dscale"] = 14, 3, 1, 0, 4
    rows["d0"], rows["d1"], rows["d2"] = units // 10**8, units // 10**4 % 10**4, units % 10**4
    rows["quality_len"], rows["quality"] = 2, valid["quality"].to_numpy()
    if batch_id is not None:
        rows["batch_len"], rows["batch_id"] = 8, batch_id
    del rows  # release the export so the buffer could be resized
    return buffer


def interval_copy_columns(batch_id: int | None) -> str:
    return INTERVAL_COLUMNS if batch_id is not None else "meter_id, interval_start, kwh, quality"


def copy_interval_rows(*, rows: pd.DataFrame, batch_id: int | None = None) -> None:
    """COPY readings (meter_id, epoch, kwh_units, quality) straight into billing_intervalreading:
    for callers that know the keys are new (demo data); the partitions must exist."""
    with connection.cursor() as cursor:
        _copy_binary(cursor, table="billing_intervalreading", valid=rows, batch_id=batch_id)


def _copy_binary(cursor, *, table: str, valid: pd.DataFrame, batch_id: int | None) -> None:
    payload = interval_copy_payload(valid=valid, batch_id=batch_id)
    # psycopg2's COPY API; the Django cursor wrapper hands it through to the raw cursor.
    cursor.cursor.copy_expert(
        f"COPY {table} ({interval_copy_columns(batch_id)}) FROM STDIN WITH (FORMAT binary)",
        _BufferReader(payload),
        COPY_READ_SIZE,
    )


def _utc(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)


def _pg_stored(cursor, *, params: dict) -> pd.DataFrame:
    out = io.BytesIO()
    cursor.cursor.copy_expert(cursor.cursor.mogrify(PG_INTERVAL_STORED, params).decode(), out, COPY_READ_SIZE)
    data = out.getbuffer()
    count = (len(data) - len(_COPY_HEADER) - len(_COPY_TRAILER)) // _STORED_ROW.itemsize
    rows = np.frombuffer(data, dtype=_STORED_ROW, count=count, offset=len(_COPY_HEADER))
    return pd.DataFrame(
        {
            "meter_id": rows["meter_id"].astype(np.int64),
            "epoch": rows["epoch"].astype(np.int64),
            "stored_units": rows["units"].astype(np.int64),
            "stored_quality": rows["quality"].astype(np.int16),
        }
    )


def _pg_interval_merge(*, valid: pd.DataFrame, batch_id: int) -> MergeCounts:
    epoch = valid["epoch"].to_numpy()
    bounds = {"lo": _utc(epoch.min()), "hi": _utc(epoch.max())}
    spans = valid.groupby("meter_id", sort=False)["epoch"].agg(["min", "max"])
    params = {
        "meter_ids": spans.index.tolist(),
        "firsts": [_utc(v) for v in spans["min"].tolist()],
        "lasts": [_utc(v) for v in spans["max"].tolist()],
        **bounds,
    }
    unchanged = 0
    with connection.cursor() as cursor:
        # Compare with what is stored first: unchanged readings (a re-sent file) are dropped here
        # and cost the database nothing but the read. JIT compilation costs more than it saves on
        # these index-probe statements (tens of milliseconds each).
        cursor.execute("SET LOCAL jit = off")
        stored = _pg_stored(cursor, params=params)
        todo, stored_todo = valid, 0
        if len(stored):
            both = valid.merge(stored, on=["meter_id", "epoch"], how="left", sort=False)
            exists = both["stored_quality"].notna().to_numpy()
            same = (
                exists
                & (
                    (both["stored_quality"] == Quality.EDITED)
                    | ((both["stored_units"] == both["kwh_units"]) & (both["stored_quality"] == both["quality"]))
                ).to_numpy()
            )
            unchanged = int(same.sum())
            todo, stored_todo = valid[~same], int((exists & ~same).sum())
        if todo.empty:
            return MergeCounts(inserted=0, updated=0, unchanged=unchanged)
        if not stored_todo:
            # Only new keys: COPY straight into the table. A concurrent writer may have added some
            # since the read (unique violation): the savepoint rolls back and the merge decides.
            try:
                with transaction.atomic(savepoint=True), connection.wrap_database_errors:
                    _copy_binary(cursor, table="billing_intervalreading", valid=todo, batch_id=batch_id)
                return MergeCounts(inserted=len(todo), updated=0, unchanged=unchanged)
            except IntegrityError:
                pass
        cursor.execute(PG_INTERVAL_STAGE)
        cursor.execute("TRUNCATE ingest_interval_stage")  # empty even when the caller's transaction is nested
        _copy_binary(cursor, table="ingest_interval_stage", valid=todo, batch_id=batch_id)
        cursor.execute("ANALYZE ingest_interval_stage")  # temp tables get no autovacuum statistics
        cursor.execute(PG_INTERVAL_MERGE, {"batch_id": batch_id, **bounds})
        existed, merged = cursor.fetchone()
    inserted = len(todo) - existed
    updated = max(0, merged - inserted)
    return MergeCounts(inserted=inserted, updated=updated, unchanged=unchanged + existed - updated)


def _units_text(units: np.ndarray, *, scale: int) -> list[str]:
    """Exact decimal text of non-negative integers in units of 10^-scale."""
    step = 10**scale
    return [f"{u // step}.{u % step:0{scale}d}" for u in units.tolist()]


def _pg_register_merge(*, valid: pd.DataFrame, batch_id: int) -> MergeCounts:
    frame = pd.DataFrame({"meter_id": valid["meter_id"], "epoch": valid["epoch"]})
    for name in REGISTER_COLUMNS:
        text = pd.Series(_units_text(valid[f"{name}_units"].to_numpy(), scale=2), index=valid.index, dtype=object)
        frame[name] = text.where(~valid[f"{name}_null"].to_numpy(), None)
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.execute(PG_REGISTER_STAGE)
        cursor.execute("TRUNCATE ingest_register_stage")
        cursor.cursor.copy_expert("COPY ingest_register_stage FROM STDIN WITH (FORMAT csv)", buffer)
        cursor.execute(PG_REGISTER_MERGE, {"batch_id": batch_id})
        inserted, updated = cursor.fetchone()
    return MergeCounts(inserted=inserted, updated=updated, unchanged=len(frame) - inserted - updated)


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_datetime(epoch: np.ndarray) -> list[str]:
    # Django stores aware datetimes in SQLite as naive UTC text in this format.
    return [text.replace("T", " ") for text in np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s")]


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
    # The usage page's cached figures of these meters are recomputed (billing.selectors.usage).
    bump_source_versions(READINGS_NAMESPACE, valid["meter_id"].unique().tolist())
    if connection.vendor == "postgresql":
        return _pg_interval_merge(valid=valid, batch_id=batch_id)
    rows = list(
        zip(
            valid["meter_id"].tolist(),
            _sqlite_datetime(valid["epoch"].to_numpy()),
            (valid["kwh_units"].to_numpy() / 10**4).tolist(),
            valid["quality"].astype(int).tolist(),
            strict=True,
        )
    )
    return _sqlite_merge(
        table="billing_intervalreading",
        key=("meter_id", "interval_start"),
        columns=("kwh", "quality"),
        rows=rows,
        batch_id=batch_id,
        fixed={"batch_id": batch_id},
    )


def merge_register_rows(*, valid: pd.DataFrame, batch_id: int) -> MergeCounts:
    if valid.empty:
        return MergeCounts(0, 0, 0)
    bump_source_versions(READINGS_NAMESPACE, valid["meter_id"].unique().tolist())
    if connection.vendor == "postgresql":
        return _pg_register_merge(valid=valid, batch_id=batch_id)
    numeric = {
        name: [
            None if blank else units / 100
            for units, blank in zip(valid[f"{name}_units"].tolist(), valid[f"{name}_null"].tolist(), strict=True)
        ]
        for name in REGISTER_COLUMNS
    }
    rows = list(
        zip(valid["meter_id"].tolist(), _sqlite_datetime(valid["epoch"].to_numpy()), *numeric.values(), strict=True)
    )
    return _sqlite_merge(
        table="billing_registerread",
        key=("meter_id", "read_at"),
        columns=REGISTER_COLUMNS,
        rows=rows,
        batch_id=batch_id,
        fixed={"batch_id": batch_id, "quality": Quality.ACTUAL},
    )
