"""Finding 8 (issue 13): registration said "already registered" and created a login for any number
typed. Now the number is proved by an SMS code before a login exists, the answer is the same whether
or not it is taken (its holder is told instead), codes are short-lived, single-use, stored only as a
keyed HMAC and void after a few wrong entries, texts to one number and requests from one client are
capped with a message saying when to try again, and the consent to the privacy notice is recorded."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from customers.models import PrivacyConsent
from customers.services import attempt_limits, phone_codes
from customers.sms import LocmemSmsBackend
from security.models import AuditEvent
from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db

PASSWORD = "Dianli-2024!hall"
FREE, TAKEN = "13911110001", "13911110002"
NOW = dt.datetime(2026, 12, 7, 22, 10, tzinfo=dt.UTC)


def _code_in(body: str) -> str | None:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", body)
    return found.group(1) if found else None


def _texts_to(phone: str) -> list[str]:
    return [m.body for m in LocmemSmsBackend.outbox if m.to == phone]


def _start(client, phone: str, **extra):
    return client.post(reverse("hall:register"), {"phone": phone, "accept_privacy": "on"}, **extra)


def _verify(client, code: str, password: str = PASSWORD):
    return client.post(
        reverse("hall:register_verify"), {"code": code, "password": password, "password_confirm": password}
    )


def _as_seen(page: str, phone: str) -> str:
    """The page with what differs by request alone (CSRF token, the number the requester typed) blanked."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return page.replace(f"{phone[:3]}****{phone[-4:]}", "PHONE")


def test_a_taken_number_gets_the_same_answer_and_its_holder_is_told(client):
    holder = make_portal_user(phone=TAKEN)
    answers = {}
    for phone in (FREE, TAKEN):
        visitor = type(client)()
        started = _start(visitor, phone)
        assert started.status_code == 302 and started["Location"] == reverse("hall:register_verify")
        shown = visitor.get(started["Location"])
        answers[phone] = _as_seen(shown.content.decode(), phone)
        assert "短信已发送至" in answers[phone]
        # A guessed code: the same refusal for both.
        refused = _verify(visitor, "000000" if phone == TAKEN else "999999")
        answers[phone + "-wrong"] = refused.context["form"].errors["code"]
    assert answers[FREE] == answers[TAKEN]
    assert answers[FREE + "-wrong"] == answers[TAKEN + "-wrong"] == ["验证码错误或已过期。"]
    assert "已注册" not in answers[TAKEN]

    (to_free,), (to_holder,) = _texts_to(FREE), _texts_to(TAKEN)
    assert _code_in(to_free) is not None and "注册" in to_free
    assert _code_in(to_holder) is None  # the holder gets no code to hand over…
    assert "忘记密码" in to_holder and "已经注册" in to_holder  # …but a login / reset hint
    assert list(get_user_model().objects.values_list("pk", flat=True)) == [holder.pk]


def test_the_login_exists_only_after_the_code_and_records_the_consent(client, settings):
    assert _start(client, FREE).status_code == 302
    assert not get_user_model().objects.exists()  # asking for a code creates nothing
    code = _code_in(_texts_to(FREE)[0])
    response = _verify(client, code)
    assert response.status_code == 302 and response["Location"] == reverse("hall:bind")
    user = get_user_model().objects.get()
    assert user.phone == FREE and user.check_password(PASSWORD)

    consent = PrivacyConsent.objects.get(user=user)
    assert consent.notice_version == settings.PRIVACY_NOTICE_VERSION
    assert abs((consent.accepted_at - user.date_joined).total_seconds()) < 60
    created = AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, actor=user)
    assert {(e.object_type, e.details.get("via") or e.details.get("notice_version")) for e in created} == {
        ("security.user", "register"),
        ("customers.privacyconsent", settings.PRIVACY_NOTICE_VERSION),
    }
    assert all(FREE not in str(e.details) for e in created)


def test_no_code_is_sent_without_the_privacy_consent(client):
    response = client.post(reverse("hall:register"), {"phone": FREE})
    assert response.context["form"].errors["accept_privacy"] == ["请阅读并同意《个人信息保护政策》后再注册。"]
    assert LocmemSmsBackend.outbox == []
    assert client.get(reverse("hall:register_verify"))["Location"] == reverse("hall:register")


def test_the_privacy_notice_page_shows_its_version_in_both_languages(client, settings):
    page = client.get(reverse("hall:privacy")).content.decode()
    assert "个人信息保护政策" in page and f"版本 {settings.PRIVACY_NOTICE_VERSION}" in page and "95598" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("hall:privacy")).content.decode()
    assert "Privacy notice" in english and f"Version {settings.PRIVACY_NOTICE_VERSION}" in english
    assert "个人信息保护政策" not in english


def test_a_code_works_once(client):
    _start(client, FREE)
    code = _code_in(_texts_to(FREE)[0])
    assert phone_codes.consume_code(purpose=phone_codes.REGISTER, subject=FREE, code=code)
    assert not phone_codes.consume_code(purpose=phone_codes.REGISTER, subject=FREE, code=code)
    assert _verify(client, code).context["form"].errors["code"] == ["验证码错误或已过期。"]


def test_a_code_is_void_after_too_many_wrong_entries(client, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 3
    _start(client, FREE)
    code = _code_in(_texts_to(FREE)[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        assert _verify(client, wrong).status_code == 200
    assert _verify(client, code).context["form"].errors["code"] == ["验证码错误或已过期。"]
    assert not get_user_model().objects.exists()


def test_a_code_expires(client, settings):
    settings.PHONE_CODE_TTL_SECONDS = 1
    _start(client, FREE)
    code = _code_in(_texts_to(FREE)[0])
    time.sleep(1.2)
    assert _verify(client, code).context["form"].errors["code"] == ["验证码错误或已过期。"]


def test_a_weak_password_does_not_use_up_the_code(client):
    _start(client, FREE)
    code = _code_in(_texts_to(FREE)[0])
    assert "password" in _verify(client, code, password="12345678").context["form"].errors
    assert _verify(client, code).status_code == 302


@pytest.mark.redis
def test_neither_the_code_nor_the_number_can_be_read_from_the_cache(client):
    _start(client, FREE)
    code = _code_in(_texts_to(FREE)[0])
    redis = cache._cache.get_client()
    stored = b"".join(key + (redis.get(key) or b"") for key in redis.keys("*") if redis.type(key) == b"string")
    assert b"phone-code" in stored  # the code is there…
    assert code.encode() not in stored and FREE.encode() not in stored  # …but only as a keyed HMAC
    session = client.session.load()
    assert FREE not in str(session)  # the pending number is kept encrypted


def test_texts_to_one_number_are_capped_and_the_refusal_says_when(client, settings):
    settings.PHONE_CODE_SENDS_PER_PHONE = 2
    make_portal_user(phone=TAKEN)
    for phone in (FREE, TAKEN):  # the same for a taken number: the cap tells nothing either
        for n in range(2):
            assert _start(type(client)(), phone, REMOTE_ADDR=f"198.51.100.{n}").status_code == 302
        refused = _start(type(client)(), phone, REMOTE_ADDR="198.51.100.9")
        assert refused.status_code == 429
        message = refused.context["form"].non_field_errors()[0]
        assert re.fullmatch(r"操作过于频繁，请在 \d+ 分钟后（\d\d:\d\d 之后）再试。", message), message
    assert len(_texts_to(FREE)) == len(_texts_to(TAKEN)) == 2


def test_the_per_phone_limit_names_the_end_of_its_window():
    now = dt.datetime(2026, 12, 7, 14, 20, tzinfo=dt.UTC)  # 22:20 in Shanghai
    for _ in range(2):
        attempt_limits.count_against_limit(name="t", subject=FREE, limit=2, window_seconds=3600, now=now)
    with pytest.raises(attempt_limits.RateLimited) as refused:
        attempt_limits.count_against_limit(name="t", subject=FREE, limit=2, window_seconds=3600, now=now)
    assert refused.value.retry_at == dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    assert "40" in refused.value.message and "23:00" in refused.value.message  # minutes left, local time


def test_the_per_client_cap_keys_on_the_client_behind_the_proxy(client, settings):
    """Behind the documented proxy every request comes from its address: the cap must count each
    client (client_ip, TRUSTED_PROXY_COUNT hops) or one busy household would block everyone."""
    from customers.views.rate_limits import REGISTER_RATE

    settings.TRUSTED_PROXY_COUNT = 1
    via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(int(REGISTER_RATE.split("/")[0])):
        _start(client, f"1394444{n:04d}", HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy)
    assert _start(client, FREE, HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy).status_code == 429
    assert _start(type(client)(), FREE, HTTP_X_FORWARDED_FOR="198.51.100.2", **via_proxy).status_code == 302
    # A forged left-hand entry does not give the first client a fresh bucket.
    forged = _start(type(client)(), TAKEN, HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.1", **via_proxy)
    assert forged.status_code == 429


def test_using_up_a_numbers_texts_on_purpose_does_not_keep_its_holder_from_a_code(settings):
    """The per-number cap counts each requesting address: an attacker asking for codes to someone
    else's number exhausts only their own share (the lesson of finding 10)."""
    settings.PHONE_CODE_SENDS_PER_CLIENT = 2
    attacker = [_start(Client(), FREE, REMOTE_ADDR="203.0.113.66").status_code for _ in range(3)]
    assert attacker == [302, 302, 429]
    holder = Client()
    assert _start(holder, FREE, REMOTE_ADDR="198.51.100.7").status_code == 302
    assert _verify(holder, _code_in(_texts_to(FREE)[-1])).status_code == 302
    assert len(_texts_to(FREE)) == 3
