"""Finding 11: the client address comes from REMOTE_ADDR, or through exactly TRUSTED_PROXY_COUNT
trusted proxy hops of X-Forwarded-For; rate limits (django-ratelimit), django-axes lockouts and the
audit log all key on it. Without a proxy a forged header changes nothing; behind one, customers
sharing the proxy's address get their own buckets."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django_ratelimit.core import is_ratelimited

from core.web.client import client_ip
from security.models import AuditEvent
from tests.factories import make_portal_user

PROXY = "10.0.0.2"


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/login/", **extra)


@pytest.mark.parametrize(
    ("hops", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", None, "203.0.113.9"),
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # no proxy: the header is the client's word
        (1, PROXY, "198.51.100.1", "198.51.100.1"),
        (1, PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the forged entry left of ours is ignored
        (2, PROXY, "6.6.6.6, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        (2, PROXY, "198.51.100.1", PROXY),  # fewer hops than configured: not through our proxies
        (1, PROXY, None, PROXY),
        (1, PROXY, "not-an-ip", PROXY),
        (1, PROXY, " 2001:db8::1 ", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_exactly_the_configured_hops(settings, hops, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    assert client_ip(_request(remote, forwarded)) == expected


def test_drf_throttles_trust_the_same_number_of_hops():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXY_COUNT == 0


def _limited(request) -> bool:
    return is_ratelimited(request, group="t", key="ip", rate="2/h", method="POST", increment=True)


def test_rate_limit_without_a_proxy_ignores_a_forged_header(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    results = [_limited(_request("203.0.113.9", f"198.51.100.{i}")) for i in range(3)]
    assert results == [False, False, True]  # one client, whatever it claims


def test_rate_limit_behind_a_proxy_gives_each_client_its_bucket(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert [_limited(_request(PROXY, "198.51.100.1")) for _ in range(3)] == [False, False, True]
    assert _limited(_request(PROXY, "198.51.100.2")) is False  # another customer behind the same proxy
    # A client cannot escape its bucket by prepending addresses.
    assert _limited(_request(PROXY, "6.6.6.6, 198.51.100.1")) is True


@pytest.mark.django_db
def test_axes_lockout_and_audit_behind_a_proxy_are_per_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 2
    make_portal_user(phone="13812340000", password="Correct-horse-1")
    attacker, holder = Client(REMOTE_ADDR=PROXY), Client(REMOTE_ADDR=PROXY)
    for _ in range(2):
        attacker.post("/login/", {"username": "13812340000", "password": "nope"}, HTTP_X_FORWARDED_FOR="6.6.6.6")
    locked = attacker.post(
        "/login/", {"username": "13812340000", "password": "Correct-horse-1"}, HTTP_X_FORWARDED_FOR="6.6.6.6"
    )
    assert locked.status_code == 429
    # The holder comes through the same proxy from their own address: not locked out.
    ok = holder.post(
        "/login/", {"username": "13812340000", "password": "Correct-horse-1"}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert ok.status_code == 302
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).values_list("source_ip", flat=True)
    assert set(failed) == {"6.6.6.6"}
    login = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert login.source_ip == "198.51.100.7"


@pytest.mark.django_db
def test_axes_lockout_without_a_proxy_ignores_a_forged_header(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 2
    make_portal_user(phone="13812340000", password="Correct-horse-1")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(2):
        attacker.post(
            "/login/", {"username": "13812340000", "password": "nope"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        )
    again = attacker.post(
        "/login/", {"username": "13812340000", "password": "Correct-horse-1"}, HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert again.status_code == 429
    assert set(AuditEvent.objects.values_list("source_ip", flat=True)) == {"203.0.113.9"}
