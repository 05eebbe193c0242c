"""Finding 8 (issue 13): "forgot password" by an SMS code to the registered number — the same answer
whether or not the number has a login, codes single-use and limited, every session of the user ended,
the reset audited, requests capped per number and per client with a message saying when."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from customers.sms import LocmemSmsBackend
from security.models import AuditEvent
from tests.factories import make_portal_user

pytestmark = pytest.mark.django_db

OLD, NEW = "Pa55word!x", "Dianli-2025!reset"
HOLDER_PHONE, NOBODY_PHONE = "13922220001", "13922220002"
BACKEND = "security.backends.PhoneOrUsernameBackend"


def _code_in(body: str) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)


def _ask(client, phone: str, **extra):
    return client.post(reverse("hall:password_reset"), {"phone": phone}, **extra)


def _reset(client, code: str, password: str = NEW):
    return client.post(
        reverse("hall:password_reset_verify"), {"code": code, "new_password": password, "password_confirm": password}
    )


@pytest.fixture
def holder():
    return make_portal_user(phone=HOLDER_PHONE, password=OLD)


def test_the_login_page_links_to_forgot_password(client):
    page = client.get(reverse("hall:login")).content.decode()
    assert "忘记密码？" in page and reverse("hall:password_reset") in page
    assert "请输入注册时使用的手机号" in client.get(reverse("hall:password_reset")).content.decode()


def test_reset_by_code_sets_the_password_and_ends_every_session(client, holder):
    elsewhere = Client()
    elsewhere.force_login(holder, backend=BACKEND)
    assert elsewhere.get(reverse("hall:accounts")).status_code == 200

    asked = _ask(client, "139 2222 0001")
    assert asked["Location"] == reverse("hall:password_reset_verify")
    (text,) = [m.body for m in LocmemSmsBackend.outbox if m.to == HOLDER_PHONE]
    assert "重置" in text
    done = _reset(client, _code_in(text))
    assert done.status_code == 302 and done["Location"] == reverse("hall:login")
    assert "密码已重置，请用新密码登录。" in client.get(done["Location"]).content.decode()

    holder.refresh_from_db()
    assert holder.check_password(NEW) and not holder.check_password(OLD)
    # The session held elsewhere (perhaps by whoever knew the old password) has ended.
    assert elsewhere.get(reverse("hall:accounts"))["Location"].startswith(reverse("hall:login"))
    assert client.post(reverse("hall:login"), {"username": HOLDER_PHONE, "password": NEW}).status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, actor=holder)
    assert event.details == {"via": "password_reset", "fields": ["password"], "sessions_ended": True}
    assert (event.object_type, event.object_id) == ("security.user", str(holder.pk))


def test_an_unknown_number_gets_the_same_answer_and_no_code(client, holder):
    pages = {}
    for phone in (HOLDER_PHONE, NOBODY_PHONE):
        visitor = Client()
        asked = _ask(visitor, phone)
        assert asked["Location"] == reverse("hall:password_reset_verify")
        page = visitor.get(asked["Location"]).content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        pages[phone] = page.replace(f"{phone[:3]}****{phone[-4:]}", "PHONE")
        refused = _reset(visitor, "000000")
        assert refused.context["form"].errors["code"] == ["验证码错误或已过期。"]
    assert pages[HOLDER_PHONE] == pages[NOBODY_PHONE]
    # Both numbers get a text (so the answer takes as long), but only the holder's carries a code.
    texts = {m.to: m.body for m in LocmemSmsBackend.outbox}
    assert set(texts) == {HOLDER_PHONE, NOBODY_PHONE}
    assert re.search(r"(?<!\d)\d{6}(?!\d)", texts[HOLDER_PHONE])
    assert not re.search(r"\d", texts[NOBODY_PHONE]) and "没有使用该手机号的账号" in texts[NOBODY_PHONE]


def test_staff_numbers_get_no_reset_code(client):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(
        username="clerk_li", password=OLD, kind="staff", is_staff=True, phone=NOBODY_PHONE
    )
    assert _ask(client, NOBODY_PHONE).status_code == 302
    # Staff reset through a security administrator, not the hall: no code.
    assert not [m for m in LocmemSmsBackend.outbox if re.search(r"\d", m.body)]


def test_a_reset_code_is_void_after_too_many_wrong_entries(client, holder, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 2
    _ask(client, HOLDER_PHONE)
    code = _code_in(LocmemSmsBackend.outbox[-1].body)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(2):
        assert _reset(client, wrong).context["form"].errors["code"] == ["验证码错误或已过期。"]
    assert _reset(client, code).context["form"].errors["code"] == ["验证码错误或已过期。"]
    holder.refresh_from_db()
    assert holder.check_password(OLD)

    _ask(client, HOLDER_PHONE)  # a new code works
    assert _reset(client, _code_in(LocmemSmsBackend.outbox[-1].body)).status_code == 302
    assert client.get(reverse("hall:password_reset_verify"))["Location"] == reverse("hall:password_reset")


def test_a_weak_new_password_is_refused_without_using_up_the_code(client, holder):
    _ask(client, HOLDER_PHONE)
    code = _code_in(LocmemSmsBackend.outbox[-1].body)
    errors = _reset(client, code, password="12345678").context["form"].errors
    assert "new_password" in errors and "code" not in errors
    assert _reset(client, code).status_code == 302


def test_reset_requests_are_capped_per_number_and_say_when(client, holder, settings):
    settings.PHONE_CODE_SENDS_PER_PHONE = 1
    assert _ask(Client(), HOLDER_PHONE, REMOTE_ADDR="198.51.100.1").status_code == 302
    refused = _ask(Client(), HOLDER_PHONE, REMOTE_ADDR="198.51.100.2")
    assert refused.status_code == 429
    assert re.search(r"操作过于频繁，请在 \d+ 分钟后（\d\d:\d\d 之后）再试。", refused.content.decode())
    assert len(LocmemSmsBackend.outbox) == 1


def test_reset_posts_are_capped_per_client(client, holder):
    from customers.views.rate_limits import RESET_RATE

    for n in range(int(RESET_RATE.split("/")[0])):
        _ask(client, f"1393333{n:04d}")
    refused = _ask(client, HOLDER_PHONE)
    assert refused.status_code == 429 and re.search(r"请在 \d+ 分钟后再试", refused.content.decode())
    assert HOLDER_PHONE not in [m.to for m in LocmemSmsBackend.outbox]


def test_a_reset_ends_a_login_lockout_of_the_number(client, holder, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("hall:login"), {"username": HOLDER_PHONE, "password": "wrong-password"})
    assert client.post(reverse("hall:login"), {"username": HOLDER_PHONE, "password": OLD}).status_code == 429
    _ask(client, HOLDER_PHONE)
    assert _reset(client, _code_in(LocmemSmsBackend.outbox[-1].body)).status_code == 302
    assert client.post(reverse("hall:login"), {"username": HOLDER_PHONE, "password": NEW}).status_code == 302
