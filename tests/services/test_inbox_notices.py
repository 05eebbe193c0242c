"""The business hall's inbox (own notifications only, unread first, read on open, mark all read, the
badge) and outage notices (the /notices/ page and the dashboard panel show exactly the notices
affecting the customer's accounts)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from security import roles
from services.actions.notifications import notify
from services.actions.outages import publish_outage, restore_outage
from services.context_processors import unread_notifications
from services.models import Notification, OutageNotice
from services.selectors.notices import notices_for_user
from tests.factories import bind, make_account, make_area, make_portal_user, make_staff

pytestmark = pytest.mark.django_db


def _notify(user, key: str, title: str) -> Notification:
    (created,) = notify(users=[user], kind="bill", event_key=key, title=title, body=f"{title}的内容", link="/bills/")
    return created


def _ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-notification="(\d+)"', page)]


@pytest.fixture
def two_users():
    me, other = make_portal_user(), make_portal_user()
    bind(user=me, account=make_account())
    bind(user=other, account=make_account())
    return me, other


# --- inbox -------------------------------------------------------------------------------------


def test_inbox_lists_only_my_notifications_unread_first(client, two_users):
    me, other = two_users
    older_read = _notify(me, "t:1", "已读的旧消息")
    Notification.objects.filter(pk=older_read.pk).update(read_at=timezone.now())
    newer_read = _notify(me, "t:2", "已读的新消息")
    Notification.objects.filter(pk=newer_read.pk).update(read_at=timezone.now())
    unread = _notify(me, "t:3", "未读消息")
    theirs = _notify(other, "t:4", "别人的消息")
    Notification.objects.filter(pk=unread.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    client.force_login(me)

    page = client.get(reverse("inbox:list")).content.decode()

    assert _ids(page) == [unread.pk, newer_read.pk, older_read.pk]  # unread first although it is the oldest
    assert "别人的消息" not in page and theirs.pk not in _ids(page)
    assert re.search(rf'class="card inbox-item is-unread" data-notification="{unread.pk}"', page)
    assert re.search(rf'class="card inbox-item" data-notification="{newer_read.pk}"', page)
    assert 'data-unread="1"' in page


def test_opening_a_notification_marks_it_read_and_shows_its_link(client, two_users):
    me, _ = two_users
    notification = _notify(me, "t:1", "电费缴费提醒")
    client.force_login(me)

    page = client.get(reverse("inbox:detail", args=[notification.pk])).content.decode()

    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "电费缴费提醒的内容" in page and 'href="/bills/"' in page
    first_read = notification.read_at
    client.get(reverse("inbox:detail", args=[notification.pk]))  # opening again changes nothing
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_another_users_notification_is_a_404_and_stays_unread(client, two_users):
    me, other = two_users
    theirs = _notify(other, "t:1", "别人的消息")
    client.force_login(me)

    response = client.get(reverse("inbox:detail", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_marks_only_mine(client, two_users):
    me, other = two_users
    mine = [_notify(me, f"t:{i}", f"消息{i}") for i in range(3)]
    theirs = _notify(other, "t:9", "别人的消息")
    client.force_login(me)

    assert client.get(reverse("inbox:read_all")).status_code == 405  # a write: POST only
    response = client.post(reverse("inbox:read_all"))

    assert response.status_code == 302 and response.url == reverse("inbox:list")
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_unsafe_links_are_not_made_clickable(client, two_users):
    me, _ = two_users
    (bad,) = notify(users=[me], kind="bill", event_key="t:x", title="t", body="b", link="//evil.example/x")
    client.force_login(me)
    page = client.get(reverse("inbox:detail", args=[bad.pk])).content.decode()
    assert "evil.example" not in page


def test_inbox_needs_a_login(client):
    response = client.get(reverse("inbox:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("hall:login"))


def test_badge_counts_my_unread_in_the_header(client, two_users):
    me, other = two_users
    _notify(me, "t:1", "一")
    _notify(me, "t:2", "二")
    read = _notify(me, "t:3", "三")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    _notify(other, "t:4", "别人的")
    client.force_login(me)

    page = client.get(reverse("hall:accounts")).content.decode()

    badge = re.search(r'class="header-btn inbox-btn" href="/inbox/"[^>]*data-unread="(\d+)"', page)
    assert badge and badge.group(1) == "2"
    assert re.search(r'<b class="count-badge">2<', page)


def test_badge_is_one_query_and_only_for_portal_customers(rf, two_users, django_assert_num_queries):
    me, _ = two_users
    _notify(me, "t:1", "一")
    request = rf.get("/")
    request.user = me
    with django_assert_num_queries(1):
        assert unread_notifications(request) == {"unread_notification_count": 1}
    request.user = make_staff(role=roles.CUSTOMER_SERVICE_AGENT)
    with django_assert_num_queries(0):
        assert unread_notifications(request) == {}


def test_visitors_see_no_badge(client):
    assert "inbox-btn" not in client.get(reverse("hall:login")).content.decode()


# --- outage notices ----------------------------------------------------------------------------


@pytest.fixture
def grid():
    """Customer "me" with accounts in areas A and C, a neighbour in area B; notices for each area."""
    area_a, area_b, area_c = make_area(code="N-A"), make_area(code="N-B"), make_area(code="N-C")
    me, neighbour = make_portal_user(), make_portal_user()
    acc_a, acc_c = make_account(area=area_a), make_account(area=area_c)
    bind(user=me, account=acc_a)
    bind(user=me, account=acc_c)
    bind(user=neighbour, account=make_account(area=area_b))
    return {"me": me, "neighbour": neighbour, "areas": (area_a, area_b, area_c), "accounts": (acc_a, acc_c)}


def notice(*, title: str, areas=(), feeders=(), starts_in=dt.timedelta(days=1), hours: int = 4) -> OutageNotice:
    start = timezone.now() + starts_in
    created = OutageNotice.objects.create(
        kind="planned", title=title, reason="线路检修", starts_at=start, expected_end=start + dt.timedelta(hours=hours)
    )
    created.areas.set(areas)
    created.feeders.set(feeders)
    return created


def publish(created: OutageNotice) -> OutageNotice:
    publish_outage(actor=make_staff(role=roles.FIELD_ENGINEER), notice=created, as_of=timezone.now())
    return created


def _notice_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-notice="(\d+)"', page)]


def test_notices_page_shows_exactly_my_accounts_notices(client, grid):
    area_a, area_b, area_c = grid["areas"]
    acc_a, acc_c = grid["accounts"]
    in_a = publish(notice(title="A区检修", areas=[area_a]))
    in_progress_c = publish(notice(title="C区抢修", areas=[area_c], starts_in=-dt.timedelta(hours=1)))
    publish(notice(title="B区检修", areas=[area_b]))
    notice(title="A区草稿", areas=[area_a])  # never published
    over = publish(notice(title="A区已结束", areas=[area_a], starts_in=-dt.timedelta(hours=6), hours=2))
    restored = publish(notice(title="A区已恢复", areas=[area_a], starts_in=-dt.timedelta(hours=1)))
    restore_outage(actor=make_staff(role=roles.FIELD_ENGINEER), notice=restored, as_of=timezone.now())
    client.force_login(grid["me"])

    page = client.get(reverse("notices:list")).content.decode()

    assert _notice_ids(page) == [in_progress_c.pk, in_a.pk]  # by start: the one in progress first
    assert "B区检修" not in page and "A区草稿" not in page and over.pk not in _notice_ids(page)
    block_a = page[page.index(f'data-notice="{in_a.pk}"') :]
    assert re.findall(r'data-affected="(\d+)"', block_a.split("</li>")[0]) == [acc_a.number]
    block_c = page[page.index(f'data-notice="{in_progress_c.pk}"') :].split("</li>")[0]
    assert re.findall(r'class="card notice-item is-in-progress" data-notice="(\d+)"', page) == [str(in_progress_c.pk)]
    assert re.findall(r'data-affected="(\d+)"', block_c) == [acc_c.number]


def test_feeder_notice_names_every_account_of_mine_on_that_feeder(client, grid):
    area_a = grid["areas"][0]
    on_feeder = publish(notice(title="10kV 线路检修", feeders=[area_a.feeder]))  # all test areas share F-TEST
    client.force_login(grid["me"])

    page = client.get(reverse("notices:list")).content.decode()

    assert _notice_ids(page) == [on_feeder.pk]
    assert sorted(re.findall(r'data-affected="(\d+)"', page)) == sorted(a.number for a in grid["accounts"])


def test_dashboard_panel_shows_only_the_affected_customers_notices(client, grid):
    area_a, area_b, _ = grid["areas"]
    mine = publish(notice(title="A区检修", areas=[area_a]))
    theirs = publish(notice(title="B区检修", areas=[area_b]))

    client.force_login(grid["me"])
    my_dashboard = client.get(reverse("hall:dashboard")).content.decode()
    client.force_login(grid["neighbour"])
    their_dashboard = client.get(reverse("hall:dashboard")).content.decode()

    assert 'data-panel="notices"' in my_dashboard
    assert _notice_ids(my_dashboard) == [mine.pk] and "B区检修" not in my_dashboard
    assert _notice_ids(their_dashboard) == [theirs.pk] and "A区检修" not in their_dashboard


def test_dashboard_panel_says_so_when_nothing_is_planned(client, grid):
    client.force_login(grid["me"])
    page = client.get(reverse("hall:dashboard")).content.decode()
    assert 'data-panel="notices"' in page and 'data-empty="notices"' in page and _notice_ids(page) == []


def test_notices_page_is_for_customers(client):
    assert client.get(reverse("notices:list")).status_code == 302
    client.force_login(make_staff(role=roles.CUSTOMER_SERVICE_AGENT))
    assert client.get(reverse("notices:list")).status_code == 403


def test_outage_notification_links_to_the_notices_page(client, grid):
    area_a = grid["areas"][0]
    publish(notice(title="A区检修", areas=[area_a]))
    notification = Notification.objects.get(user=grid["me"])
    client.force_login(grid["me"])

    page = client.get(reverse("inbox:detail", args=[notification.pk])).content.decode()

    assert notification.link == "/notices/" and 'href="/notices/"' in page and "A区检修" in page


def test_seed_demo_gives_the_demo_customer_an_upcoming_notice_and_messages():
    import io

    from django.core.management import call_command

    from customers.demo import DEMO_CUSTOMER_USERNAME

    out = io.StringIO()
    call_command(
        "seed_demo", "--customers", "20", "--curves", "0", "--as-of", "2026-11-24", stdout=out
    )  # no curves needed

    demo_user = get_user_model().objects.get(username=DEMO_CUSTOMER_USERNAME)
    as_of = dt.datetime(2026, 11, 24, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    upcoming = list(notices_for_user(user=demo_user, as_of=as_of))
    assert [n.kind for n in upcoming] == ["planned"] and upcoming[0].starts_at > as_of
    assert OutageNotice.objects.filter(status="restored").count() == 1
    events = sorted(
        key.rsplit(":", 1)[1]
        for key in Notification.objects.filter(user=demo_user, kind="outage").values_list("event_key", flat=True)
    )
    assert events == ["published", "published", "restored"]
    assert "Outage notices: 1 upcoming and 1 restored" in out.getvalue()


def test_notice_and_notification_lists_take_a_fixed_number_of_queries(grid):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    area_a = grid["areas"][0]
    client = APIClient()
    client.force_login(grid["me"])

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    publish(notice(title="一", areas=[area_a]))
    few = (queries("/api/v1/outage-notices"), queries("/api/v1/notifications"), queries("/api/v1/articles"))
    for n in range(5):
        publish(notice(title=f"检修{n}", areas=[area_a], feeders=[area_a.feeder]))
    many = (queries("/api/v1/outage-notices"), queries("/api/v1/notifications"), queries("/api/v1/articles"))
    assert many == few
