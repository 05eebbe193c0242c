"""Outage notices reach exactly the affected users, once per event, through their chosen channels."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from customers.services.preferences import all_preference_keys, set_notification_preferences
from customers.sms import LocmemSmsBackend
from security import roles
from services.actions.notifications import notify
from services.actions.outages import publish_outage, restore_outage
from services.models import Notification, NotificationDelivery, OutageNotice
from services.selectors.notices import notices_for_user
from tests.factories import SHANGHAI, bind, make_account, make_area, make_portal_user, make_staff

pytestmark = pytest.mark.django_db
AS_OF = dt.datetime(2026, 11, 24, 9, tzinfo=SHANGHAI)


@pytest.fixture
def grid():
    area_a, area_b = make_area(code="A-1"), make_area(code="B-1")
    users = {}
    for name, area in (("in_a", area_a), ("in_b", area_b), ("also_a", area_a)):
        user = make_portal_user()
        user.email = f"{name}@example.cn"
        user.save()
        bind(user=user, account=make_account(area=area))
        users[name] = user
    return area_a, area_b, users


def planned(*, areas=(), feeders=()) -> OutageNotice:
    notice = OutageNotice.objects.create(
        kind="planned",
        title="10kV 文三线检修",
        reason="线路检修",
        starts_at=AS_OF + dt.timedelta(days=2),
        expected_end=AS_OF + dt.timedelta(days=2, hours=6),
    )
    notice.areas.set(areas)
    notice.feeders.set(feeders)
    return notice


def test_publishing_notifies_exactly_the_affected_users_once(grid, django_capture_on_commit_callbacks):
    area_a, _, users = grid
    notice = planned(areas=[area_a])
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_outage(actor=agent, notice=notice, as_of=AS_OF) == 2
        assert publish_outage(actor=agent, notice=notice, as_of=AS_OF) == 0  # published again: nobody twice
    notified = set(
        Notification.objects.filter(event_key=f"outage:{notice.pk}:published").values_list("user_id", flat=True)
    )
    assert notified == {users["in_a"].pk, users["also_a"].pk}
    # one SMS and one e-mail per affected user, none for the user in area B
    assert sorted(m.to for m in LocmemSmsBackend.outbox) == sorted([users["in_a"].phone, users["also_a"].phone])
    assert sorted(m.to[0] for m in mail.outbox) == ["also_a@example.cn", "in_a@example.cn"]
    assert "10kV 文三线检修" in LocmemSmsBackend.outbox[0].body


def test_feeder_level_notice_reaches_every_area_on_the_feeder(grid, django_capture_on_commit_callbacks):
    area_a, _area_b, _users = grid  # both test areas hang off the same feeder F-TEST
    notice = planned(feeders=[area_a.feeder])
    with django_capture_on_commit_callbacks(execute=True):
        assert publish_outage(actor=make_staff(role=roles.FIELD_ENGINEER), notice=notice, as_of=AS_OF) == 3


def test_restoring_notifies_again_and_closes(grid, django_capture_on_commit_callbacks):
    area_a, _, users = grid
    notice = planned(areas=[area_a])
    agent = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        publish_outage(actor=agent, notice=notice, as_of=AS_OF)
        assert restore_outage(actor=agent, notice=notice, as_of=AS_OF + dt.timedelta(days=2, hours=5)) == 2
    notice.refresh_from_db()
    assert notice.status == "restored"
    assert Notification.objects.filter(user=users["in_a"]).count() == 2
    assert notices_for_user(user=users["in_a"], as_of=AS_OF).count() == 0  # restored: no longer current


def test_customers_see_current_and_upcoming_notices_for_their_accounts_only(grid):
    area_a, _area_b, users = grid
    notice = planned(areas=[area_a])
    publish_outage(actor=make_staff(role=roles.CUSTOMER_SERVICE_AGENT), notice=notice, as_of=AS_OF)
    assert list(notices_for_user(user=users["in_a"], as_of=AS_OF)) == [notice]
    assert list(notices_for_user(user=users["in_b"], as_of=AS_OF)) == []
    assert list(notices_for_user(user=users["in_a"], as_of=AS_OF + dt.timedelta(days=3))) == []  # over


def test_preferences_choose_the_channels(grid, django_capture_on_commit_callbacks):
    _, _, users = grid
    user = users["in_a"]
    keep = [key for key in all_preference_keys() if key != ("outage", "sms")]
    set_notification_preferences(user=user, enabled=keep)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[user], kind="outage", event_key="test:1", title="t", body="b")
    channels = set(NotificationDelivery.objects.filter(notification__user=user).values_list("channel", "status"))
    assert channels == {("inbox", "sent"), ("email", "sent")}
    assert LocmemSmsBackend.outbox == []


def test_a_failing_backend_is_recorded_and_retried_without_double_sending(
    grid, settings, django_capture_on_commit_callbacks
):
    from services.actions.notifications import deliver

    _, _, users = grid
    settings.SMS_BACKEND = "tests.services.test_outages_notifications.BrokenSms"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[users["in_a"]], kind="outage", event_key="test:2", title="t", body="b")
    sms = NotificationDelivery.objects.get(channel="sms")
    with pytest.raises(ConnectionError):
        deliver(delivery_id=sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.last_error) == ("failed", 1, "ConnectionError: gateway down")
    settings.SMS_BACKEND = "customers.sms.LocmemSmsBackend"
    deliver(delivery_id=sms.pk)
    deliver(delivery_id=sms.pk)  # a duplicate task: already sent, nothing more
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("sent", 2)
    assert len(LocmemSmsBackend.outbox) == 1
    assert len(callbacks) == 2  # SMS and e-mail were queued on commit


class BrokenSms:
    def send(self, *, message):
        raise ConnectionError("gateway down")


def test_publishing_needs_permission(grid):
    area_a, _, _ = grid
    with pytest.raises(PermissionDenied):
        publish_outage(actor=make_staff(role=roles.BILLING_CLERK), notice=planned(areas=[area_a]), as_of=AS_OF)
