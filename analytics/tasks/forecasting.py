"""Forecasting tasks on the ``analytics`` queue: beat starts the two fan-outs (nightly retrain, daily
issue before FORECAST_ISSUE_TIME); each scope is its own task, so workers share the scopes."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import OperationalError

from analytics.services.forecasting import (
    ForecastError,
    enqueue_issuing,
    enqueue_training,
    issue_forecast,
    train_scope,
)
from core import clock

__all__ = ["forecast_issue_all_task", "forecast_issue_task", "forecast_retrain_all_task", "forecast_train_task"]

logger = logging.getLogger(__name__)
RETRY = {"acks_late": True, "reject_on_worker_lost": True, "autoretry_for": (OperationalError,), "max_retries": 3}


@shared_task(name="analytics.forecast_train_scope", **RETRY)
def forecast_train_task(*, scope_id: int, as_of: str) -> dict:
    try:
        model = train_scope(scope_id=scope_id, as_of=dt.datetime.fromisoformat(as_of))
    except ForecastError as exc:  # not retried: more attempts will not bring the missing data
        logger.warning("forecast training skipped: %s", exc)
        return {"scope_id": scope_id, "error": str(exc)}
    return {"scope_id": scope_id, "model_id": model.pk, "version": model.version}


@shared_task(name="analytics.forecast_issue", **RETRY)
def forecast_issue_task(*, scope_id: int, day: str, as_of: str) -> dict:
    try:
        forecast = issue_forecast(
            scope_id=scope_id, day=dt.date.fromisoformat(day), as_of=dt.datetime.fromisoformat(as_of)
        )
    except ForecastError as exc:
        logger.warning("forecast not issued: %s", exc)
        return {"scope_id": scope_id, "error": str(exc)}
    return {"scope_id": scope_id, "forecast_id": forecast.pk}


@shared_task(name="analytics.forecast_retrain_all")
def forecast_retrain_all_task() -> int:
    # Beat's clock is "now": the models learn everything before today.
    return enqueue_training(as_of=clock.now())


@shared_task(name="analytics.forecast_issue_all")
def forecast_issue_all_task() -> int:
    return enqueue_issuing(as_of=clock.now())
