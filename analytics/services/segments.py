"""Customer segmentation: typical daily load shapes by k-means (issue #6, docs/analytics.md "## Segments").

Three layers, so the clustering can be tested without a database:

1. ``load_profiles`` — SQL: per account and local hour of the day, the average kWh (Σ kWh × multiplier ÷
   the number of chosen days with readings in that hour) over the window's working days or its weekend
   and holiday days of the mainland calendar (``core.calendar``, so 调休 Saturdays count as
   working days and the National Day week as holidays).
2. ``normalise_profiles`` / ``cluster_profiles`` / ``shape_of`` — pure numpy and scikit-learn on a
   profile matrix: each profile divided by its own mean (shape only, not size), k-means with a fixed
   random_state, k chosen by the best silhouette among k whose smallest cluster is big enough, and
   deterministic names from the centroid's shape.
3. ``run_segmentation`` — the service: records a ``SegmentationRun`` with its scores, segments and
   every clustered account's segment and distance; a run that cannot cluster is stored as failed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
from django.db import NotSupportedError, transaction
from django.db.models import Count, DateField, F, FloatField, Func, IntegerField, Sum
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from analytics.models import AccountSegment, Segment, SegmentationRun
from analytics.models.segments import DayType, Shape
from billing.models import IntervalReading, Meter
from core.calendar import is_working_day
from core.months import add_months, month_start
from core.time import day_span, local_date
from customers.models import Account

SLOTS = 24  # hourly slots: the same grid for 15-, 30- and 60-minute meters
CRITERION = "silhouette (Euclidean, on up to {sample} profiles), smallest cluster ≥ {min_share:.0%} and ≥ {min_size}"


class Defaults(TypedDict):
    min_coverage: float
    min_cluster_share: float
    min_cluster_size: int
    silhouette_sample: int
    n_init: int
    random_state: int


DEFAULTS: Defaults = {
    "min_coverage": 0.5,  # every hour needs readings on at least this share of the chosen days
    "min_cluster_share": 0.02,
    "min_cluster_size": 3,
    "silhouette_sample": 3000,
    "n_init": 10,
    "random_state": 0,
}


class SegmentationError(ValueError):
    """Bad arguments, or too few usable profiles to cluster."""


# --- 1. profiles in SQL ---------------------------------------------------------------------------------


class LocalHour(Func):
    """Hour of the day (0–23) of a timestamp in Asia/Shanghai (no DST since 1991: SQLite's +8 h is exact)."""

    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"LocalHour is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(EXTRACT(HOUR FROM {sql} AT TIME ZONE 'Asia/Shanghai') AS integer)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(strftime('%%H', {sql}, '+8 hours') AS integer)", params


class LocalDate(Func):
    """Calendar day of a timestamp in Asia/Shanghai, as a date (cheaper per row than formatting text)."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"LocalDate is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST({sql} AT TIME ZONE 'Asia/Shanghai' AS date)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '+8 hours')", params


def days_of_type(*, window_start: dt.date, window_end: dt.date, day_type: str) -> list[dt.date]:
    """The days in [window_start, window_end) that are working days (weekday) or not (weekend)."""
    wanted = day_type == DayType.WEEKDAY
    days = (window_start + dt.timedelta(days=n) for n in range((window_end - window_start).days))
    return [day for day in days if is_working_day(day) == wanted]


@dataclass
class Profiles:
    account_ids: list[int]
    kwh: np.ndarray  # (accounts, SLOTS) average kWh per hour of the day, not normalised
    skipped: dict[str, int] = field(default_factory=dict)


def load_profiles(*, days: list[dt.date], window_start: dt.date, window_end: dt.date, min_coverage: float) -> Profiles:
    """Average daily profiles of every account with customer-meter readings on ``days``, aggregated in SQL
    (one row per account and hour). Accounts whose data is too thin are left out and counted by reason."""
    if not days:
        return Profiles(account_ids=[], kwh=np.zeros((0, SLOTS)))
    start, end = day_span(window_start, window_end)
    rows = (
        IntervalReading.objects.filter(
            interval_start__gte=start, interval_start__lt=end, meter__role=Meter.Role.CUSTOMER
        )
        .annotate(local_day=LocalDate("interval_start"))
        .filter(local_day__in=days)
        .values(account_id=F("meter__account_id"), hour=LocalHour("interval_start"))
        .annotate(
            energy=Sum(F("kwh") * F("meter__multiplier"), output_field=FloatField()),
            days=Count("local_day", distinct=True),
        )
        .order_by()
        .values_list("account_id", "hour", "energy", "days")
    )
    sums: dict[int, np.ndarray] = {}
    counts: dict[int, np.ndarray] = {}
    for account_id, hour, energy, day_count in rows.iterator(chunk_size=20000):
        if account_id not in sums:
            sums[account_id] = np.zeros(SLOTS)
            counts[account_id] = np.zeros(SLOTS)
        sums[account_id][hour] = energy or 0.0
        counts[account_id][hour] = day_count
    needed = max(2, math.ceil(min_coverage * len(days)))
    skipped = {"too_few_days": 0, "no_consumption": 0}
    kept_ids, kept = [], []
    for account_id in sorted(sums):
        if counts[account_id].min() < needed:
            skipped["too_few_days"] += 1
            continue
        profile = sums[account_id] / counts[account_id]
        if profile.mean() <= 0:
            skipped["no_consumption"] += 1  # nothing to take a shape of
            continue
        kept_ids.append(account_id)
        kept.append(profile)
    # Active accounts with no interval data at all in the window (register-only meters, new accounts).
    active = set(Account.objects.active().values_list("pk", flat=True))
    skipped["no_interval_data"] = len(active - sums.keys())
    return Profiles(account_ids=kept_ids, kwh=np.array(kept) if kept else np.zeros((0, SLOTS)), skipped=skipped)


# --- 2. the pure clustering core -------------------------------------------------------------------------


def normalise_profiles(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its own mean: a 2 kW and a 20 kW evening-peak home get the same shape (mean 1)."""
    matrix = np.asarray(matrix, dtype=float)
    means = matrix.mean(axis=1, keepdims=True)
    if np.any(means <= 0):
        raise SegmentationError("every profile needs a positive mean to be normalised")
    return matrix / means


@dataclass(frozen=True)
class KScore:
    k: int
    silhouette: float
    inertia: float
    smallest: int
    eligible: bool


@dataclass(frozen=True)
class Clustering:
    k: int
    labels: np.ndarray  # cluster number per profile, 0..k-1, numbered by size (largest first)
    centroids: np.ndarray  # (k, slots)
    distances: np.ndarray  # Euclidean distance of each profile to its centroid
    scores: list[KScore]
    criterion: str
    chosen_by: str  # "silhouette", "fixed" or "fallback (no k met the size rule)"


def _fit(profiles: np.ndarray, k: int, *, n_init: int, random_state: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(profiles)


def _renumber(model: KMeans, profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cluster numbers by size, largest first, ties by peak hour: the same data gives the same numbering."""
    sizes = np.bincount(model.labels_, minlength=model.n_clusters)
    order = sorted(range(model.n_clusters), key=lambda c: (-sizes[c], int(np.argmax(model.cluster_centers_[c])), c))
    mapping = np.empty(model.n_clusters, dtype=int)
    mapping[order] = np.arange(model.n_clusters)
    return mapping[model.labels_], model.cluster_centers_[order]


def cluster_profiles(
    profiles: np.ndarray,
    *,
    k: int | None = None,
    k_range: tuple[int, int] = (3, 8),
    min_cluster_share: float = DEFAULTS["min_cluster_share"],
    min_cluster_size: int = DEFAULTS["min_cluster_size"],
    silhouette_sample: int = DEFAULTS["silhouette_sample"],
    n_init: int = DEFAULTS["n_init"],
    random_state: int = DEFAULTS["random_state"],
) -> Clustering:
    """k-means on already-normalised profiles. With ``k`` given, that k; otherwise every k in ``k_range``
    (inclusive) is fitted and scored, and the k with the highest silhouette among those whose smallest
    cluster holds at least ``max(min_cluster_size, min_cluster_share × n)`` profiles wins (ties: the
    smaller k). A tiny cluster can score well while telling marketing nothing, hence the size rule."""
    profiles = np.asarray(profiles, dtype=float)
    n = len(profiles)
    low, high = k_range
    if k is not None:
        low = high = k
    if low < 2 or high < low:
        raise SegmentationError(f"k must be at least 2 and k_range ascending, got k={k} k_range={k_range}")
    high = min(high, n - 1)  # silhouette needs k ≤ n − 1
    if high < low:
        raise SegmentationError(f"{n} usable profiles are too few for k ≥ {low}")
    min_size = max(min_cluster_size, math.ceil(min_cluster_share * n))
    sample = min(n, silhouette_sample)
    scores, models = [], {}
    # One BLAS/OpenMP thread: a Celery worker process is our unit of parallelism, and on a busy machine
    # sklearn's own threads fight each other (10× slower for a small matrix on 2 loaded cores).
    with threadpool_limits(limits=1):
        for candidate in range(low, high + 1):
            model = _fit(profiles, candidate, n_init=n_init, random_state=random_state)
            labels = model.labels_
            distinct = len(set(labels.tolist()))
            silhouette = (
                float(silhouette_score(profiles, labels, sample_size=sample, random_state=random_state))
                if distinct > 1
                else -1.0
            )
            smallest = int(np.bincount(labels, minlength=candidate).min())
            scores.append(
                KScore(
                    k=candidate,
                    silhouette=round(silhouette, 6),
                    inertia=round(float(model.inertia_), 6),
                    smallest=smallest,
                    eligible=smallest >= min_size,
                )
            )
            models[candidate] = model
    if k is not None:
        chosen, chosen_by = k, "fixed"
    else:
        eligible = [s for s in scores if s.eligible]
        if eligible:
            chosen, chosen_by = max(eligible, key=lambda s: (s.silhouette, -s.k)).k, "silhouette"
        else:
            chosen, chosen_by = low, "fallback (no k met the size rule)"
    labels, centroids = _renumber(models[chosen], profiles)
    distances = np.linalg.norm(profiles - centroids[labels], axis=1)
    criterion = CRITERION.format(sample=silhouette_sample, min_share=min_cluster_share, min_size=min_cluster_size)
    return Clustering(
        k=chosen,
        labels=labels,
        centroids=centroids,
        distances=distances,
        scores=scores,
        criterion=criterion,
        chosen_by=chosen_by,
    )


def _hours(slots: int) -> np.ndarray:
    return np.arange(slots) * 24.0 / slots  # start hour of each slot


def _mean_in(centroid: np.ndarray, hours: np.ndarray, wanted: set[int]) -> float:
    mask = np.isin(np.floor(hours).astype(int), list(wanted))
    return float(centroid[mask].mean())


def _max_in(centroid: np.ndarray, hours: np.ndarray, wanted: set[int]) -> float:
    mask = np.isin(np.floor(hours).astype(int), list(wanted))
    return float(centroid[mask].max())


NIGHT = {23, 0, 1, 2, 3, 4, 5}
MORNING = {6, 7, 8, 9}
DAY = set(range(8, 17))  # 08:00–16:59
MIDDAY = set(range(10, 16))
EVENING = set(range(17, 23))  # 17:00–22:59


def shape_of(centroid) -> tuple[str, int]:
    """(Shape, peak hour) of a mean-normalised profile by fixed rules, first match wins:

    1. flat / three-shift — every slot within 0.7–1.3 of the mean;
    2. night — the 23:00–06:00 mean ≥ 1.2 and above both the daytime and the evening mean;
    3. morning + evening double peak — a 06–09 h maximum and a 17–22 h maximum both ≥ 1.2, with the
       10–15 h minimum at most 0.8 × the lower of the two peaks;
    4. evening peak — the peak hour in 17–22 h and the evening mean ≥ 1.15 × the daytime (08–16 h) mean;
    5. daytime — the daytime mean ≥ 1.1 and ≥ the evening mean ÷ 1.15;
    6. morning peak — the peak hour in 05–09 h;
    7. mixed.
    """
    c = np.asarray(centroid, dtype=float)
    c = c / c.mean()
    hours = _hours(len(c))
    peak_hour = math.floor(hours[int(np.argmax(c))])
    night, day, evening = _mean_in(c, hours, NIGHT), _mean_in(c, hours, DAY), _mean_in(c, hours, EVENING)
    morning_max, evening_max = _max_in(c, hours, MORNING), _max_in(c, hours, EVENING)
    midday_min = float(c[np.isin(np.floor(hours).astype(int), list(MIDDAY))].min())
    if c.max() <= 1.3 and c.min() >= 0.7:
        shape = Shape.FLAT
    elif night >= 1.2 and night > max(day, evening):
        shape = Shape.NIGHT
    elif morning_max >= 1.2 and evening_max >= 1.2 and midday_min <= 0.8 * min(morning_max, evening_max):
        shape = Shape.DOUBLE_PEAK
    elif 17 <= peak_hour <= 22 and evening >= 1.15 * day:
        shape = Shape.EVENING_PEAK
    elif day >= 1.1 and day >= evening / 1.15:
        shape = Shape.DAYTIME
    elif 5 <= peak_hour <= 9:
        shape = Shape.MORNING_PEAK
    else:
        shape = Shape.MIXED
    return str(shape), peak_hour


ENGLISH_SHAPES = {
    Shape.FLAT: "flat / three-shift",
    Shape.NIGHT: "night",
    Shape.DOUBLE_PEAK: "morning+evening double peak",
    Shape.EVENING_PEAK: "evening peak",
    Shape.DAYTIME: "daytime",
    Shape.MORNING_PEAK: "morning peak",
    Shape.MIXED: "mixed",
}


def segment_labels(centroids: np.ndarray) -> list[tuple[str, int, str]]:
    """(shape, peak hour, label) per centroid. The label is the shape's English name; when two segments
    share a shape, each gets its peak hour ("evening peak, 20:00"), and "#n" if that still collides."""
    shapes = [shape_of(c) for c in centroids]
    counts: dict[str, int] = {}
    for shape, _hour in shapes:
        counts[shape] = counts.get(shape, 0) + 1
    labels = [
        ENGLISH_SHAPES[Shape(shape)] + (f", {hour:02d}:00" if counts[shape] > 1 else "") for shape, hour in shapes
    ]
    seen: dict[str, int] = {}
    result = []
    for (shape, hour), label in zip(shapes, labels, strict=True):
        seen[label] = seen.get(label, 0) + 1
        result.append((shape, hour, label if seen[label] == 1 else f"{label} #{seen[label]}"))
    return result


# --- 3. the service ------------------------------------------------------------------------------------


def _validate(*, window_start, window_end, day_type, k, k_range) -> None:
    if window_end <= window_start:
        raise SegmentationError("window_end must be after window_start (it is exclusive)")
    if day_type not in DayType.values:
        raise SegmentationError(f"day_type must be one of {', '.join(DayType.values)}")
    if k is not None and k < 2:
        raise SegmentationError("k must be at least 2")
    if len(k_range) != 2 or k_range[0] < 2 or k_range[1] < k_range[0]:
        raise SegmentationError("k_range must be (low, high) with 2 ≤ low ≤ high")


def run_segmentation(
    *,
    window_start: dt.date,
    window_end: dt.date,
    day_type: str,
    as_of: dt.datetime,
    k: int | None = None,
    k_range: tuple[int, int] = (3, 8),
    min_coverage: float = DEFAULTS["min_coverage"],
) -> SegmentationRun:
    """Cluster the accounts' ``day_type`` profiles over [window_start, window_end) and store the result.
    Too few usable profiles (or no day of that type in the window) gives a run with status "failed" and
    the reason, so the scheduled task leaves a trace instead of an exception; bad arguments raise."""
    _validate(window_start=window_start, window_end=window_end, day_type=day_type, k=k, k_range=k_range)
    params = {**DEFAULTS, "min_coverage": min_coverage, "k_range": list(k_range)}
    run = SegmentationRun.objects.create(
        window_start=window_start,
        window_end=window_end,
        day_type=day_type,
        slots=SLOTS,
        k_fixed=k is not None,
        params=params,
        as_of=as_of,
    )
    days = days_of_type(window_start=window_start, window_end=window_end, day_type=day_type)
    profiles = load_profiles(days=days, window_start=window_start, window_end=window_end, min_coverage=min_coverage)
    run.params["days"] = len(days)
    run.skipped_reasons = profiles.skipped
    run.accounts_skipped = profiles.skipped.get("too_few_days", 0) + profiles.skipped.get("no_consumption", 0)
    try:
        if not days:
            raise SegmentationError("the window has no day of this type")
        shapes = normalise_profiles(profiles.kwh)
        result = cluster_profiles(shapes, k=k, k_range=k_range)
    except SegmentationError as error:
        run.status = SegmentationRun.Status.FAILED
        run.message = str(error)
        run.save()
        return run
    with transaction.atomic():
        segments = []
        sizes = np.bincount(result.labels, minlength=result.k)
        for number, (centroid, (shape, hour, label)) in enumerate(
            zip(result.centroids, segment_labels(result.centroids), strict=True)
        ):
            segments.append(
                Segment(
                    run=run,
                    number=number + 1,
                    shape=shape,
                    label=label,
                    peak_hour=hour,
                    centroid=[round(float(v), 5) for v in centroid],
                    size=int(sizes[number]),
                )
            )
        Segment.objects.bulk_create(segments)
        AccountSegment.objects.bulk_create(
            (
                AccountSegment(
                    run=run,
                    account_id=account_id,
                    segment=segments[int(label)],
                    distance=round(float(distance), 6),
                    profile=[round(float(v), 5) for v in shape_row],
                )
                for account_id, label, distance, shape_row in zip(
                    profiles.account_ids, result.labels, result.distances, shapes, strict=True
                )
            ),
            batch_size=2000,
        )
        run.k = result.k
        run.criterion = f"{result.criterion}; chosen by {result.chosen_by}"
        run.scores = {
            str(s.k): {"silhouette": s.silhouette, "inertia": s.inertia, "smallest": s.smallest, "eligible": s.eligible}
            for s in result.scores
        }
        run.accounts_clustered = len(profiles.account_ids)
        run.status = SegmentationRun.Status.FINISHED
        run.save()
    return run


def default_window(*, as_of: dt.datetime, months: int = 3) -> tuple[dt.date, dt.date]:
    """The ``months`` whole calendar months before the month of ``as_of`` (local): what the monthly
    scheduled run clusters."""
    first = month_start(local_date(as_of))
    return add_months(first, -months), first
