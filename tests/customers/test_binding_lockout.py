"""Finding 10: failed binding proofs count per requesting user and per client address, never per
account number — an attacker failing on purpose locks out only themself, not the real holder — and
the holder is told once the failures against their account reach the limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import RequestFactory

from customers.models import PortalBinding
from customers.services.binding import BindingError, bind_account_with_id_number
from customers.sms import LocmemSmsBackend
from security.models import AuditEvent
from tests.factories import make_account, make_customer, make_id_number, make_portal_user

ID_NUMBER = make_id_number(serial=19)
LAST6 = ID_NUMBER[-6:]
NOW = dt.datetime(2026, 12, 7, 14, 35, tzinfo=dt.UTC)  # 22:35 in Shanghai

pytestmark = pytest.mark.django_db


def _from(ip: str):
    return RequestFactory().post("/accounts/bind/id-number/", REMOTE_ADDR=ip)


def _try(user, account, last6: str, ip: str) -> str:
    try:
        bind_account_with_id_number(
            user=user, account_number=account.number, id_number_last6=last6, now=NOW, request=_from(ip)
        )
    except BindingError as exc:
        return exc.code
    return "bound"


@pytest.fixture
def account():
    return make_account(customer=make_customer(id_number=ID_NUMBER, phone="13955550001"))


def test_an_attacker_failing_on_purpose_does_not_lock_out_the_holder(settings, account):
    settings.BINDING_MAX_ATTEMPTS = 3
    attacker, holder = make_portal_user(), make_portal_user()
    assert [_try(attacker, account, "000000", "203.0.113.66") for _ in range(4)] == [
        "proof_mismatch",
        "proof_mismatch",
        "proof_mismatch",
        "rate_limited",  # the attacker is now locked out…
    ]
    # …and so is any other login from the attacker's address…
    assert _try(make_portal_user(), account, LAST6, "203.0.113.66") == "rate_limited"
    # …but the holder, from their own address, binds at once.
    assert _try(holder, account, LAST6, "198.51.100.7") == "bound"
    assert PortalBinding.objects.get(account=account).user == holder


def test_the_same_user_is_locked_out_whatever_address_and_account_they_try(settings, account):
    settings.BINDING_MAX_ATTEMPTS = 2
    other = make_account()
    attacker = make_portal_user()
    assert _try(attacker, account, "000000", "203.0.113.1") == "proof_mismatch"
    assert _try(attacker, other, "000000", "203.0.113.2") == "proof_mismatch"
    assert _try(attacker, account, LAST6, "203.0.113.3") == "rate_limited"


def test_the_holder_is_told_once_when_failures_reach_the_limit(settings, account):
    settings.BINDING_MAX_ATTEMPTS = 3
    # Three different attackers from three addresses, one failure each: nobody is locked out, but the
    # account's holder gets one SMS (not one per failure).
    for n in range(5):
        _try(make_portal_user(), account, "000000", f"203.0.113.{n}")
    to_holder = [m for m in LocmemSmsBackend.outbox if m.to == "13955550001"]
    assert len(to_holder) == 1
    assert account.number in to_holder[0].body and "95598" in to_holder[0].body and "未被绑定" in to_holder[0].body
    assert LAST6 not in to_holder[0].body
    notified = AuditEvent.objects.get(details__reason="holder_notified")
    assert (notified.object_id, notified.details["failures"]) == (str(account.pk), 3)


def test_a_holder_without_a_phone_is_told_by_email(settings):
    settings.BINDING_MAX_ATTEMPTS = 2
    account = make_account(customer=make_customer(id_number=ID_NUMBER, phone="", email="zhang@example.cn"))
    for n in range(2):
        _try(make_portal_user(), account, "000000", f"203.0.113.{n}")
    assert [m.to for m in mail.outbox] == [["zhang@example.cn"]]
    assert account.number in mail.outbox[0].body


def test_unknown_account_numbers_notify_nobody(settings):
    settings.BINDING_MAX_ATTEMPTS = 1
    user = make_portal_user()
    try:
        bind_account_with_id_number(
            user=user, account_number="9999999999", id_number_last6="000000", now=NOW, request=_from("203.0.113.5")
        )
    except BindingError:
        pass
    assert LocmemSmsBackend.outbox == [] and mail.outbox == []


def test_the_refusal_says_when_the_window_ends(settings, account):
    settings.BINDING_MAX_ATTEMPTS = 1
    attacker = make_portal_user()
    _try(attacker, account, "000000", "203.0.113.9")
    with pytest.raises(BindingError) as refused:
        bind_account_with_id_number(
            user=attacker, account_number=account.number, id_number_last6=LAST6, now=NOW, request=_from("203.0.113.9")
        )
    assert refused.value.code == "rate_limited"
    assert refused.value.message == "操作过于频繁，请在 25 分钟后（23:00 之后）再试。"
