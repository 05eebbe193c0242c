"""Business hall: binding with ID number or SMS code, unbinding, the account switcher, and isolation."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from customers.access import CURRENT_ACCOUNT_SESSION_KEY as SESSION_KEY
from customers.models import PortalBinding
from customers.sms import LocmemSmsBackend
from tests.factories import bind, make_account, make_customer, make_portal_user

pytestmark = pytest.mark.django_db

BACKEND = "security.backends.PhoneOrUsernameBackend"
ADDRESS = "浙江省杭州市西湖区文三路90号3幢201室"


@pytest.fixture
def customer(client):
    user = make_portal_user()
    client.force_login(user, backend=BACKEND)
    return user


@pytest.fixture
def account():
    return make_account(premise_address=ADDRESS)


def test_dashboard_without_accounts_invites_to_bind(client, customer):
    page = client.get(reverse("hall:dashboard")).content.decode()
    assert "尚未绑定户号" in page
    assert reverse("hall:bind") in page


def test_bind_page_offers_both_methods(client, customer):
    page = client.get(reverse("hall:bind")).content.decode()
    assert "身份证号验证" in page and "短信验证码" in page
    assert reverse("hall:bind_id_number") in page and reverse("hall:bind_send_code") in page


def test_bind_with_correct_id_suffix_shows_the_card(client, customer, account):
    response = client.post(
        reverse("hall:bind_id_number"),
        {"account_number": account.number, "id_number_last6": account.customer.id_number[-6:].lower()},
    )
    assert response.status_code == 302 and response["Location"] == reverse("hall:dashboard")
    binding = PortalBinding.objects.get(user=customer)
    assert (binding.account, binding.role, binding.method) == (account, "owner", "id_number")
    assert client.session[SESSION_KEY] == account.number

    page = client.get(reverse("hall:dashboard")).content.decode()
    assert account.number in page
    assert account.masked_premise_address in page and "浙江省杭州市****" in page
    assert ADDRESS not in page  # never the full address
    assert "居民生活" in page and "正常用电" in page and account.area.name in page
    assert f"户号 {account.number} 绑定成功。" in page


def test_bind_with_wrong_id_suffix_shows_the_service_message(client, customer, account):
    wrong = "000000" if not account.customer.id_number.endswith("000000") else "111111"
    response = client.post(reverse("hall:bind_id_number"), {"account_number": account.number, "id_number_last6": wrong})
    assert response.status_code == 200
    assert "户号与验证信息不符，请核对后重试。" in response.content.decode()
    assert not PortalBinding.objects.exists()


def test_bind_form_checks_shape_before_calling_the_service(client, customer):
    response = client.post(reverse("hall:bind_id_number"), {"account_number": "12", "id_number_last6": "12"})
    form = response.context["id_form"]
    assert form.errors["account_number"] == ["户号为 10 位数字。"]
    assert "id_number_last6" in form.errors


def test_bind_with_sms_code(client, customer, account):
    response = client.post(reverse("hall:bind_send_code"), {"account_number": account.number})
    assert response.status_code == 302
    assert len(LocmemSmsBackend.outbox) == 1
    sms = LocmemSmsBackend.outbox[0]
    assert sms.to == account.customer.phone
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)

    page = client.get(response["Location"]).content.decode()
    assert f"如果户号 {account.number} 预留了手机号，我们已向该手机发送 6 位验证码" in page
    assert account.customer.masked_phone not in page and account.customer.phone not in page

    response = client.post(reverse("hall:bind_code"), {"account_number": account.number, "code": code})
    assert response.status_code == 302
    binding = PortalBinding.objects.get(user=customer)
    assert (binding.account, binding.method) == (account, "sms_code")
    assert account.number in client.get(reverse("hall:dashboard")).content.decode()


def test_bind_with_wrong_sms_code_is_refused(client, customer, account):
    client.post(reverse("hall:bind_send_code"), {"account_number": account.number})
    code = re.search(r"\b(\d{6})\b", LocmemSmsBackend.outbox[0].body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(reverse("hall:bind_code"), {"account_number": account.number, "code": wrong})
    assert response.status_code == 200
    assert "户号与验证信息不符" in response.content.decode()
    assert not PortalBinding.objects.exists()


def _code_page(client, account_number: str) -> tuple[str, str]:
    response = client.post(reverse("hall:bind_send_code"), {"account_number": account_number})
    page = client.get(response["Location"]).content.decode()
    return response["Location"], re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page).replace(
        account_number, "N"
    )


def test_send_code_answers_alike_for_known_and_unknown_accounts_and_shows_no_phone(client, customer, account):
    """Finding 8: send-code showed the holder's masked phone for a real account and an error for an
    unknown one, so any login could list account numbers and half their holders' phones."""
    known = _code_page(client, account.number)
    unknown = _code_page(client, "9999999999")
    no_phone = _code_page(client, make_account(customer=make_customer(phone=None, email="a@example.cn")).number)
    assert known == unknown == no_phone
    assert account.customer.masked_phone not in known[1] and account.customer.phone[-4:] not in known[1]
    assert [m.to for m in LocmemSmsBackend.outbox] == [account.customer.phone]  # only the real one is texted


def test_binding_code_works_once_and_is_void_after_too_many_wrong_entries(client, customer, account, settings):
    settings.PHONE_CODE_MAX_ATTEMPTS = 2
    client.post(reverse("hall:bind_send_code"), {"account_number": account.number})
    code = re.search(r"\b(\d{6})\b", LocmemSmsBackend.outbox[-1].body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(2):
        client.post(reverse("hall:bind_code"), {"account_number": account.number, "code": wrong})
    response = client.post(reverse("hall:bind_code"), {"account_number": account.number, "code": code})
    assert "户号与验证信息不符" in response.content.decode()
    assert not PortalBinding.objects.exists()


def test_binding_codes_to_one_phone_are_capped_per_window(client, customer, account, settings):
    settings.PHONE_CODE_SENDS_PER_PHONE = 2
    settings.BINDING_MAX_ATTEMPTS = 10
    for _ in range(4):
        client.post(reverse("hall:bind_send_code"), {"account_number": account.number})
    assert len(LocmemSmsBackend.outbox) == 2  # the holder's phone is not flooded; the requester is not told


def test_bind_posts_are_rate_limited_per_ip(client, customer, account):
    from customers.views.rate_limits import BIND_RATE

    limit = int(BIND_RATE.split("/")[0])
    for _ in range(limit):
        client.post(reverse("hall:bind_id_number"), {"account_number": "12", "id_number_last6": "1"})
    response = client.post(
        reverse("hall:bind_id_number"),
        {"account_number": account.number, "id_number_last6": account.customer.id_number[-6:]},
    )
    assert response.status_code == 429
    assert not PortalBinding.objects.exists()


def test_my_accounts_lists_role_and_unbind_removes_after_confirmation(client, customer, account):
    bind(user=customer, account=account)
    page = client.get(reverse("hall:accounts")).content.decode()
    assert account.number in page and "户主" in page
    unbind_url = reverse("hall:unbind", args=[account.number])
    assert unbind_url in page

    confirm = client.get(unbind_url)
    assert confirm.status_code == 200 and f"确定解除绑定户号 {account.number}" in confirm.content.decode()
    assert PortalBinding.objects.filter(user=customer).exists()  # GET changes nothing

    session = client.session
    session[SESSION_KEY] = account.number
    session.save()
    response = client.post(unbind_url)
    assert response.status_code == 302 and response["Location"] == reverse("hall:accounts")
    assert not PortalBinding.objects.filter(user=customer).exists()
    assert SESSION_KEY not in client.session
    assert f'data-account="{account.number}"' not in client.get(reverse("hall:dashboard")).content.decode()


def test_second_binder_is_a_member(client, customer, account):
    bind(user=make_portal_user(), account=account)
    client.post(
        reverse("hall:bind_id_number"),
        {"account_number": account.number, "id_number_last6": account.customer.id_number[-6:]},
    )
    assert PortalBinding.objects.get(user=customer).role == "member"
    assert "成员" in client.get(reverse("hall:accounts")).content.decode()


def test_switcher_stores_the_chosen_account(client, customer):
    first, second = make_account(), make_account()
    bind(user=customer, account=first)
    bind(user=customer, account=second)
    page = client.get(reverse("hall:dashboard")).content.decode()
    assert 'id="switch-account"' in page and first.number in page and second.number in page

    response = client.post(
        reverse("hall:switch_account"), {"account_number": second.number, "next": reverse("hall:accounts")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("hall:accounts")
    assert client.session[SESSION_KEY] == second.number
    assert client.get(reverse("hall:dashboard")).context["current_account"] == second


def test_switcher_refuses_an_account_not_bound_to_the_user(client, customer, account):
    mine = make_account()
    bind(user=customer, account=mine)
    client.post(reverse("hall:switch_account"), {"account_number": mine.number})
    response = client.post(reverse("hall:switch_account"), {"account_number": account.number})
    assert response.status_code == 404
    assert client.session[SESSION_KEY] == mine.number


def test_switcher_ignores_an_offsite_next(client, customer, account):
    bind(user=customer, account=account)
    response = client.post(
        reverse("hall:switch_account"), {"account_number": account.number, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("hall:dashboard")


def test_customer_b_sees_none_of_customer_a_accounts_anywhere(client):
    holder = make_customer()
    a_account = make_account(customer=holder, premise_address="上海市浦东新区世纪大道100号")
    customer_a = make_portal_user()
    bind(user=customer_a, account=a_account)

    customer_b = make_portal_user()
    bind(user=customer_b, account=make_account())
    client.force_login(customer_b, backend=BACKEND)

    for name in ("hall:dashboard", "hall:accounts", "hall:bind", "hall:profile", "hall:password_change"):
        page = client.get(reverse(name)).content.decode()
        assert a_account.number not in page, name
        assert "上海市浦东新" not in page, name
    assert client.get(reverse("hall:unbind", args=[a_account.number])).status_code == 404
    assert client.post(reverse("hall:unbind", args=[a_account.number])).status_code == 404
    assert client.post(reverse("hall:switch_account"), {"account_number": a_account.number}).status_code == 404
    assert PortalBinding.objects.filter(user=customer_a, account=a_account).exists()


def test_hall_pages_need_login(client):
    for name in ("hall:accounts", "hall:bind", "hall:profile"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("hall:login"))
