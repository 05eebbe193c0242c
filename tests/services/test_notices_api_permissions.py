"""Permission matrix over /api/v1/outage-notices, /api/v1/notifications and /api/v1/articles, for every
kind of user, on PostgreSQL.

Expected answers, written out from the role model (services/migrations/0002_permissions.py: every
staff role views outage notices; the customer service agent, the field engineer and the system
administrator also add and change them) and the API's rules, not derived from the code under test:

- anonymous: 403 ``not_authenticated`` on notices and notifications; articles are public (reads 200);
- a method an endpoint does not offer (PUT/PATCH/DELETE on notices, writes on notifications and
  articles): 405 for every signed-in user (and for anonymous callers of the public articles);
- outage notices: portal customers read the published notices affecting their own accounts (another
  area's notice is a 404) and write nothing (403); staff read with ``view_outagenotice``, draft with
  ``add_outagenotice``, publish and restore with ``change_outagenotice``; the integrator has none;
- notifications: every signed-in user reads and marks only their own; another user's is a 404.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from security import roles
from services.actions.notifications import notify
from services.actions.outages import publish_outage
from services.models import Article, Notification, OutageNotice
from tests.factories import bind, make_account, make_area, make_portal_user, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ENDPOINTS = ("outage-notices", "notifications", "articles")
ACTIONS = {
    "outage-notices": ("list", "retrieve", "create", "update", "partial_update", "delete", "publish", "restore"),
    "notifications": ("list", "retrieve", "create", "delete", "read", "read_all"),
    "articles": ("list", "retrieve", "create", "update", "delete"),
}
SUPPORTED = {
    "outage-notices": {"list", "retrieve", "create", "publish", "restore"},
    "notifications": {"list", "retrieve", "read", "read_all"},
    "articles": {"list", "retrieve"},
}
# Outage-notice permissions per role (v view, a add, c change), copied from the role migration.
NOTICE_GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: "vac",
    roles.FIELD_ENGINEER: "vac",
    roles.BILLING_CLERK: "v",
    roles.MARKETING_ANALYST: "v",
    roles.SECURITY_AUDITOR: "v",
    roles.SECURITY_ADMINISTRATOR: "",
    roles.SYSTEM_ADMINISTRATOR: "vac",
    "integrator": "",
}
PORTAL_USERS = ("customer_a", "customer_b")
USERS = ("anonymous", *PORTAL_USERS, *roles.ALL_ROLES, "integrator")


class World:
    """Customers A and B in areas A and B; a published notice for each area and a draft for area A;
    one notification each for A and B."""

    def __init__(self):
        self.area_a, self.area_b = make_area(code="NM-A"), make_area(code="NM-B")
        self.customer_a, self.customer_b = make_portal_user(), make_portal_user()
        bind(user=self.customer_a, account=make_account(area=self.area_a))
        bind(user=self.customer_b, account=make_account(area=self.area_b))
        publisher = make_staff(role=roles.SYSTEM_ADMINISTRATOR)
        self.notice_a = self._notice("文三线A台区检修", self.area_a)
        self.notice_b = self._notice("解放线B台区检修", self.area_b)
        for published in (self.notice_a, self.notice_b):
            publish_outage(actor=publisher, notice=published, as_of=timezone.now())
        self.draft = self._notice("A台区草稿", self.area_a)
        # Publishing notified A and B once each: those are the two notifications.
        self.notification_a = Notification.objects.get(user=self.customer_a)
        self.notification_b = Notification.objects.get(user=self.customer_b)
        self.article = Article.objects.published().get(slug="power-outage")

    @staticmethod
    def _notice(title: str, area) -> OutageNotice:
        start = timezone.now() + dt.timedelta(days=2)
        notice = OutageNotice.objects.create(
            kind="planned", title=title, reason="检修", starts_at=start, expected_end=start + dt.timedelta(hours=5)
        )
        notice.areas.set([area])
        return notice

    def client_for(self, user_key: str) -> APIClient:
        client = APIClient()
        if user_key in PORTAL_USERS:
            client.force_login(getattr(self, user_key))
        elif user_key == "integrator":
            user = get_user_model().objects.create_user(username="ami-headend", kind="integrator")
            user.user_permissions.set(Permission.objects.filter(content_type__app_label="customers"))
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        elif user_key != "anonymous":
            client.force_login(make_staff(role=user_key))
        return client

    def detail_url(self, endpoint: str) -> str:
        key = {
            "outage-notices": self.notice_a.pk,
            "notifications": self.notification_a.pk,
            "articles": self.article.pk,
        }[endpoint]
        return f"/api/v1/{endpoint}/{key}"

    def expected_list(self, user_key: str, endpoint: str) -> list[int] | None:
        """ids in the order the list gives them; None: only the count of articles is checked."""
        if endpoint == "outage-notices":
            own = {"customer_a": [self.notice_a.pk], "customer_b": [self.notice_b.pk]}
            # Staff: newest start first; the draft was created last with the same start, so higher id first.
            return own.get(user_key, [self.draft.pk, self.notice_b.pk, self.notice_a.pk])
        if endpoint == "notifications":
            return {"customer_a": [self.notification_a.pk], "customer_b": [self.notification_b.pk]}.get(user_key, [])
        return None


def expected_status(user_key: str, endpoint: str, action: str) -> int:
    if endpoint == "articles":
        return {"list": 200, "retrieve": 200}.get(action, 405)
    if user_key == "anonymous":
        return 403
    if action not in SUPPORTED[endpoint]:
        return 405
    if endpoint == "notifications":
        # Detail actions target customer A's notification: everyone else gets a 404.
        if action in ("retrieve", "read"):
            return 200 if user_key == "customer_a" else 404
        return 200
    if user_key in PORTAL_USERS:
        if action == "list":
            return 200
        if action == "retrieve":  # notice A affects customer A's account only
            return 200 if user_key == "customer_a" else 404
        return 403
    held = NOTICE_GRANTS[user_key]
    needed = {"list": "v", "retrieve": "v", "create": "a", "publish": "c", "restore": "c"}[action]
    if needed not in held:
        return 403
    return 201 if action == "create" else 200


def perform(client: APIClient, world: World, endpoint: str, action: str):
    collection = f"/api/v1/{endpoint}"
    detail = world.detail_url(endpoint)
    start = timezone.now() + dt.timedelta(days=5)
    body = {
        "kind": "unplanned",
        "title": "新停电",
        "reason": "故障抢修",
        "starts_at": start.isoformat(),
        "expected_end": (start + dt.timedelta(hours=3)).isoformat(),
        "areas": ["NM-A"],
    }
    if action == "list":
        return client.get(collection)
    if action == "retrieve":
        return client.get(detail)
    if action == "create":
        return client.post(collection, body, format="json")
    if action == "update":
        return client.put(detail, body, format="json")
    if action == "partial_update":
        return client.patch(detail, {"title": "改"}, format="json")
    if action == "delete":
        return client.delete(detail)
    if action == "publish":
        return client.post(f"/api/v1/outage-notices/{world.draft.pk}/publish")
    if action == "restore":
        return client.post(f"{detail}/restore")
    if action == "read":
        return client.post(f"{detail}/read")
    return client.post("/api/v1/notifications/read-all")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("user_key", USERS)
def test_permission_matrix(user_key: str, endpoint: str):
    world = World()
    client = world.client_for(user_key)
    expected = {action: expected_status(user_key, endpoint, action) for action in ACTIONS[endpoint]}
    got = {}
    for action in ACTIONS[endpoint]:
        response = perform(client, world, endpoint, action)
        got[action] = response.status_code
        body = response.json() if response.content else None
        if response.status_code >= 400:
            assert body["error"]["status"] == response.status_code, (action, body)
            if user_key == "anonymous" and endpoint != "articles":
                assert body["error"]["code"] == "not_authenticated"
        if action == "list" and response.status_code == 200:
            ids = world.expected_list(user_key, endpoint)
            if ids is None:
                assert body["count"] == Article.objects.published().count()
            else:
                assert [row["id"] for row in body["results"]] == ids
    assert got == expected
    # Nobody but customer A marked customer A's notification read (read-all marks only one's own).
    world.notification_a.refresh_from_db()
    touched = user_key == "customer_a" and endpoint == "notifications"
    assert (world.notification_a.read_at is not None) == touched


def test_publishing_through_the_api_notifies_exactly_the_affected_customer():
    world = World()
    client = world.client_for(roles.FIELD_ENGINEER)
    start = timezone.now() + dt.timedelta(days=3)
    created = client.post(
        "/api/v1/outage-notices",
        {
            "kind": "planned",
            "title": "B台区变压器更换",
            "reason": "设备改造",
            "starts_at": start.isoformat(),
            "expected_end": (start + dt.timedelta(hours=8)).isoformat(),
            "areas": ["NM-B"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    notice_id = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["areas"] == ["NM-B"]

    published = client.post(f"/api/v1/outage-notices/{notice_id}/publish")
    again = client.post(f"/api/v1/outage-notices/{notice_id}/publish")

    assert published.status_code == 200
    assert published.json()["notified"] == 1 and published.json()["notice"]["status"] == "published"
    assert again.json()["notified"] == 0  # nobody twice
    event = f"outage:{notice_id}:published"
    assert list(Notification.objects.filter(event_key=event).values_list("user", flat=True)) == [world.customer_b.pk]
    seen_by_b = world.client_for("customer_b").get("/api/v1/outage-notices", {"current": "true"}).json()
    assert [row["id"] for row in seen_by_b["results"]] == [notice_id, world.notice_b.pk]
    assert world.client_for("customer_a").get(f"/api/v1/outage-notices/{notice_id}").status_code == 404


def test_bad_notice_input_is_a_400_naming_the_field():
    world = World()
    client = world.client_for(roles.CUSTOMER_SERVICE_AGENT)
    start = timezone.now() + dt.timedelta(days=3)
    base = {"kind": "planned", "title": "t", "reason": "r", "starts_at": start.isoformat()}

    backwards = client.post("/api/v1/outage-notices", {**base, "expected_end": start.isoformat()}, format="json")
    unknown_area = client.post(
        "/api/v1/outage-notices",
        {**base, "expected_end": (start + dt.timedelta(hours=1)).isoformat(), "areas": ["NO-SUCH"]},
        format="json",
    )
    no_area = client.post(
        "/api/v1/outage-notices", {**base, "expected_end": (start + dt.timedelta(hours=1)).isoformat()}, format="json"
    )
    publish_without_area = client.post(f"/api/v1/outage-notices/{no_area.json()['id']}/publish")
    restore_draft = client.post(f"/api/v1/outage-notices/{world.draft.pk}/restore")
    bad_filter = client.get("/api/v1/outage-notices", {"current": "maybe"})

    assert backwards.status_code == 400 and "expected_end" in backwards.json()["error"]["fields"]
    assert unknown_area.status_code == 400 and "areas" in unknown_area.json()["error"]["fields"]
    assert publish_without_area.status_code == 400 and publish_without_area.json()["error"]["code"] == "invalid"
    assert restore_draft.status_code == 400
    assert bad_filter.status_code == 400 and "current" in bad_filter.json()["error"]["fields"]


def test_notifications_filter_and_read_all_for_the_caller_only():
    world = World()
    notify(users=[world.customer_a], kind="bill", event_key="bill:1:reminder", title="电费缴费提醒", body="b")
    client = world.client_for("customer_a")

    unread = client.get("/api/v1/notifications", {"unread": "true"}).json()
    marked = client.post("/api/v1/notifications/read-all").json()
    unread_after = client.get("/api/v1/notifications", {"unread": "true"}).json()

    read_rows = client.get("/api/v1/notifications", {"unread": "false"}).json()
    bad = client.get("/api/v1/notifications", {"unread": "yes please"})

    assert unread["count"] == 2 and marked == {"marked": 2} and unread_after["count"] == 0
    assert read_rows["count"] == 2
    assert bad.status_code == 400 and "unread" in bad.json()["error"]["fields"]
    world.notification_b.refresh_from_db()
    assert world.notification_b.read_at is None
