"""Business hall: profile page, notification preferences and password change."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import NotificationPreference
from customers.services.preferences import get_notification_preferences, set_notification_preferences
from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db

BACKEND = "security.backends.PhoneOrUsernameBackend"
KINDS = NotificationPreference.Kind
CHANNELS = NotificationPreference.Channel


@pytest.fixture
def customer(client):
    user = make_portal_user(phone="13912345678", password="Old-pa55word!")
    client.force_login(user, backend=BACKEND)
    return user


def test_preferences_default_to_enabled():
    user = make_portal_user()
    grid = get_notification_preferences(user=user)
    assert len(grid) == len(KINDS) * len(CHANNELS)
    assert all(grid.values())


def test_set_preferences_writes_the_whole_grid_and_can_be_repeated():
    user = make_portal_user()
    set_notification_preferences(user=user, enabled={(KINDS.BILL, CHANNELS.SMS)})
    set_notification_preferences(user=user, enabled={(KINDS.BILL, CHANNELS.SMS), (KINDS.OUTAGE, CHANNELS.SMS)})
    grid = get_notification_preferences(user=user)
    assert {key for key, on in grid.items() if on} == {("bill", "sms"), ("outage", "sms")}
    assert NotificationPreference.objects.filter(user=user).count() == len(KINDS) * len(CHANNELS)


def test_set_preferences_refuses_unknown_pairs():
    with pytest.raises(ValueError):
        set_notification_preferences(user=make_portal_user(), enabled={("bill", "carrier-pigeon")})


def test_profile_shows_masked_phone_only(client, customer):
    page = client.get(reverse("hall:profile")).content.decode()
    assert "139****5678" in page
    assert "13912345678" not in page
    assert reverse("hall:password_change") in page


def test_profile_grid_is_checked_by_default(client, customer):
    response = client.get(reverse("hall:profile"))
    page = response.content.decode()
    assert page.count('type="checkbox"') == len(KINDS) * len(CHANNELS)
    assert page.count("checked") >= len(KINDS) * len(CHANNELS)
    assert "停电通知" in page and "短信" in page


def test_profile_saves_preferences(client, customer):
    response = client.post(reverse("hall:profile"), {"outage__sms": "on", "bill__inbox": "on"})
    assert response.status_code == 302
    grid = get_notification_preferences(user=customer)
    assert {key for key, on in grid.items() if on} == {("outage", "sms"), ("bill", "inbox")}
    follow = client.get(reverse("hall:profile"))
    assert "通知偏好已保存。" in follow.content.decode()
    form = follow.context["form"]
    assert form["outage__sms"].initial is True and form["marketing__email"].initial is False


def test_preferences_of_another_user_are_untouched(client, customer):
    other = make_portal_user()
    client.post(reverse("hall:profile"), {})
    assert all(get_notification_preferences(user=other).values())
    assert not any(get_notification_preferences(user=customer).values())


def test_password_change(client, customer):
    page = client.get(reverse("hall:password_change"))
    assert page.status_code == 200
    response = client.post(
        reverse("hall:password_change"),
        {"old_password": "Old-pa55word!", "new_password1": "New-Pa55word!x", "new_password2": "New-Pa55word!x"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("hall:profile")
    customer.refresh_from_db()
    assert customer.check_password("New-Pa55word!x")
