"""Customer segmentation end to end on PostgreSQL (the partitioned interval table): profiles in SQL
over the mainland calendar's working days or days off, k chosen by the stated criterion, the stored
run, segments and memberships, skipped accounts, the Celery task, and which run is current."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.models import AccountSegment, SegmentationRun
from analytics.services.segments import SegmentationError, days_of_type, run_segmentation
from analytics.tasks import run_segmentation_task
from tests.factories import SHANGHAI, make_account
from tests.segments_data import DAY_OFF, SHAPES, WINDOW, add_readings, days, plant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AS_OF = dt.datetime(2026, 10, 20, 3, tzinfo=SHANGHAI)


def _normalised(shape: np.ndarray) -> np.ndarray:
    return shape / shape.mean()


def test_working_days_follow_the_mainland_calendar_not_the_weekday():
    weekdays = days_of_type(window_start=WINDOW[0], window_end=WINDOW[1], day_type="weekday")
    weekends = days_of_type(window_start=WINDOW[0], window_end=WINDOW[1], day_type="weekend")
    assert len(weekdays) == 16 and len(weekends) == 13
    assert dt.date(2026, 9, 20) in weekdays and dt.date(2026, 10, 10) in weekdays  # adjusted working Sun / Sat
    assert dt.date(2026, 10, 1) in weekends and dt.date(2026, 9, 25) in weekends  # National Day, Mid-autumn
    assert dt.date(2026, 10, 5) in weekends  # a Monday off


def test_segmentation_recovers_the_planted_shapes_and_picks_k_3():
    planted = plant(per_shape=10)
    short = make_account()  # readings on three working days only
    add_readings(
        planted, short, shape=SHAPES["evening"], scale=2.0, on_days=days(dt.date(2026, 10, 12), dt.date(2026, 10, 15))
    )
    idle = make_account()  # a meter that reads zero
    add_readings(planted, idle, shape=np.zeros(24), scale=1.0, on_days=days(*WINDOW), off_shape=np.zeros(24))
    make_account()  # no meter at all

    run = run_segmentation(window_start=WINDOW[0], window_end=WINDOW[1], day_type="weekday", as_of=AS_OF)

    assert run.status == SegmentationRun.Status.FINISHED
    assert run.k == 3 and not run.k_fixed
    assert set(run.scores) == {str(k) for k in range(3, 9)}
    best = max(run.scores, key=lambda k: run.scores[k]["silhouette"])
    assert best == "3" and run.scores["3"]["eligible"]
    assert "silhouette" in run.criterion and "chosen by silhouette" in run.criterion
    assert run.params["days"] == 16
    assert run.accounts_clustered == 30
    assert run.skipped_reasons == {"too_few_days": 1, "no_consumption": 1, "no_interval_data": 1}
    assert run.accounts_skipped == 2

    # Every planted group in a segment of its own, named by its shape.
    by_group = {}
    for name, accounts in planted.accounts.items():
        segment_ids = set(
            AccountSegment.objects.filter(run=run, account__in=accounts).values_list("segment", flat=True)
        )
        assert len(segment_ids) == 1, name
        by_group[name] = run.segments.get(pk=segment_ids.pop())
    assert {name: s.shape for name, s in by_group.items()} == {
        "evening": "evening_peak",
        "daytime": "daytime",
        "flat": "flat",
    }
    assert {s.size for s in run.segments.all()} == {10}
    assert by_group["evening"].peak_hour == 20

    # The noise-free account's stored profile is exactly its working-day shape: the holidays (night
    # load for everyone) stayed out, even the Thursday of National Day.
    for name, accounts in planted.accounts.items():
        membership = AccountSegment.objects.get(run=run, account=accounts[0])
        assert np.allclose(membership.profile, _normalised(SHAPES[name]), atol=2e-3), name
        centroid = np.array(membership.segment.centroid)
        assert membership.distance == pytest.approx(np.linalg.norm(np.array(membership.profile) - centroid), abs=1e-3)
    assert not AccountSegment.objects.filter(account__in=[short, idle]).exists()


def test_the_weekend_run_uses_the_days_off():
    planted = plant(per_shape=4)
    run = run_segmentation(window_start=WINDOW[0], window_end=WINDOW[1], day_type="weekend", as_of=AS_OF, k=2)
    assert run.status == SegmentationRun.Status.FINISHED and run.k == 2 and run.k_fixed
    assert run.params["days"] == 13
    membership = AccountSegment.objects.get(run=run, account=planted.accounts["evening"][0])
    assert np.allclose(membership.profile, _normalised(DAY_OFF), atol=2e-3)


def test_too_little_data_gives_a_failed_run_and_bad_arguments_raise():
    plant(per_shape=1)  # three usable profiles: too few for k ≥ 3 (silhouette needs k ≤ n − 1)
    run = run_segmentation(window_start=WINDOW[0], window_end=WINDOW[1], day_type="weekday", as_of=AS_OF)
    assert run.status == SegmentationRun.Status.FAILED and "too few" in run.message
    assert run.k is None and not run.segments.exists()
    assert SegmentationRun.objects.current(day_type="weekday") is None
    with pytest.raises(SegmentationError, match="exclusive"):
        run_segmentation(window_start=WINDOW[1], window_end=WINDOW[0], day_type="weekday", as_of=AS_OF)
    with pytest.raises(SegmentationError, match="day_type"):
        run_segmentation(window_start=WINDOW[0], window_end=WINDOW[1], day_type="sunday", as_of=AS_OF)


def test_the_task_reruns_and_the_latest_finished_run_is_current():
    plant(per_shape=5)
    first = run_segmentation_task.apply(
        kwargs={"day_type": "weekday", "window_start": "2026-09-20", "window_end": "2026-10-19", "k": 3}
    ).get()
    second = run_segmentation_task.apply(
        kwargs={"day_type": "weekday", "window_start": "2026-09-20", "window_end": "2026-10-19"}
    ).get()
    assert first["status"] == second["status"] == "finished" and second["run_id"] > first["run_id"]
    assert SegmentationRun.objects.current(day_type="weekday").pk == second["run_id"]
    assert AccountSegment.objects.filter(run_id=first["run_id"]).count() == 15
    assert AccountSegment.objects.filter(run_id=second["run_id"]).count() == 15
    # A failed later run does not replace the current one.
    failed = run_segmentation(
        window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 2, 1), day_type="weekday", as_of=AS_OF
    )
    assert failed.status == "failed"
    assert SegmentationRun.objects.current(day_type="weekday").pk == second["run_id"]


def test_the_monthly_beat_entries_run_both_day_types_on_the_analytics_queue(settings):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "analytics.run_segmentation"]
    assert sorted(e["kwargs"]["day_type"] for e in entries) == ["weekday", "weekend"]
    assert {e["options"]["queue"] for e in entries} == {"analytics"}


def test_the_management_command_runs_both_day_types():
    import io

    from django.core.management import call_command

    plant(per_shape=5)
    out = io.StringIO()
    call_command("run_segmentation", "--from", "2026-09-20", "--to", "2026-10-19", "--k", "3", stdout=out)
    text = out.getvalue()
    assert "weekday 2026-09-20–2026-10-19: k=3, 15 accounts" in text
    assert "weekend 2026-09-20–2026-10-19: k=3, 15 accounts" in text
    assert SegmentationRun.objects.current(day_type="weekend").k == 3
