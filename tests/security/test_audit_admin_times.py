"""The audit log in the admin: every time in the viewer's time zone, with the zone named — the event's
own time (list and detail) and the moments recorded inside its details, whatever zone they were written in."""

import datetime as dt
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from security.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    # 15:20:58 UTC on 7 December = 23:20:58 in Asia/Shanghai
    moment = dt.datetime(2026, 12, 7, 15, 20, 58, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return AuditEvent.objects.create(
            occurred_at=moment,  # the field's default is bound to timezone.now at import: patching misses it
            action=AuditEvent.Action.UPDATE,
            actor_label="clerk",
            object_type="billing.intervalreading",
            object_id="M1",
            details={
                "interval_start": "2026-12-06T16:15:00+00:00",
                "local": "2026-12-07T00:15:00+08:00",
                "kwh": "0.25",
            },
        )


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser(username="root", password="x" * 12))
    return client


def test_list_shows_the_local_time_with_its_zone(superuser_client, event):
    html = superuser_client.get(reverse("admin:security_auditevent_changelist")).content.decode()
    assert "2026-12-07 23:20:58 Asia/Shanghai (UTC+08:00)" in html
    assert "15:20" not in html  # no UTC time next to local ones


def test_detail_shows_every_time_in_one_zone(superuser_client, event):
    html = superuser_client.get(reverse("admin:security_auditevent_change", args=[event.pk])).content.decode()
    assert "2026-12-07 23:20:58 Asia/Shanghai (UTC+08:00)" in html  # the event
    # both moments in the details are 00:15 in Shanghai, although one was written in UTC
    assert html.count("2026-12-07 00:15:00 Asia/Shanghai (UTC+08:00)") == 2
    assert "2026-12-06T16:15" not in html and "16:15:00+00:00" not in html
