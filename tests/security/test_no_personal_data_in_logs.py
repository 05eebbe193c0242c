"""Finding 7: no personal data in logs. The mask itself (core.logs), the console SMS and e-mail
backends, and an end-to-end run of the demo flows (seed, logins, binding by SMS code and by ID number,
staff searches by phone and ID number in the admin and the API, errors) whose every captured log
line and console output holds none of the seeded ID numbers or phone numbers, nor the codes sent."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from core.logs import PersonalDataFilter, mask_personal_data
from core.mail import MaskedConsoleEmailBackend
from customers.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, DEMO_CUSTOMER_PASSWORD, DEMO_CUSTOMER_PHONE
from customers.models import Account, Customer, PortalBinding
from customers.sms import ConsoleSmsBackend, LocmemSmsBackend, SmsMessage
from tests.factories import make_portal_user

# --- the mask ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gone", "shown"),
    [
        ("[SMS to 13812345678] code 042917", ["13812345678", "042917"], ["138****5678"]),
        ("+86 139-1234-5678 / 0086 13912345678", ["1234-5678", "13912345678"], ["139****5678"]),
        ("id 33010619850312001X, old 330106850312001", ["33010619850312001X", "330106850312001"], ["330****001X"]),
        ("credit 91330106MA2H1X0Y5K", ["91330106MA2H1X0Y5K"], ["913****0Y5K"]),
        ("mail Zhang.San+bills@example.cn", ["Zhang.San", "San+bills"], ["Z***@example.cn"]),
        ("您绑定户号 3300000001 的验证码为 042917，5 分钟内有效", ["042917"], ["3300000001", "5 分钟"]),
        ("Your verification code for binding account 3300000001 is 042917.", ["042917"], ["3300000001"]),
        ('"GET /admin/customers/customer/?q=13812345678&o=1 HTTP/1.1" 200 10', ["13812345678"], ["?q=~", "&o=1"]),
        ("/api/v1/customers?id_number=330106198503120019&page=2", ["330106198503120019"], ["id_number=~", "page=2"]),
    ],
)
def test_mask_removes_personal_data_and_keeps_the_rest(text, gone, shown):
    masked = mask_personal_data(text)
    for value in gone:
        assert value not in masked
    for value in shown:
        assert value in masked


def test_business_figures_pass_unchanged():
    text = "bill 3300000001 2026-11 1300.00 kWh 161.40 CNY run 12 meter M123 at 2026-12-01T00:00:00+08:00 uuid 4f1c0e9a-1b2c-4d5e-8f90-123456789abc"
    assert mask_personal_data(text) == text


def test_same_search_value_hashes_the_same_so_lines_still_correlate():
    a, b = mask_personal_data("/x?q=13812345678"), mask_personal_data("/y?q=13812345678")
    assert a.split("=")[1] == b.split("=")[1] != mask_personal_data("/x?q=13812345679").split("=")[1]


def test_every_logging_handler_carries_the_filter(settings):
    for name, handler in settings.LOGGING["handlers"].items():
        assert "personal_data" in handler.get("filters", []), name
    assert settings.LOGGING["filters"]["personal_data"]["()"] == "core.logs.PersonalDataFilter"


def test_records_are_masked_at_creation_for_any_handler_and_in_tracebacks():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)  # no filter of its own: the record factory already masked
    logger = logging.getLogger("tests.anywhere")
    logger.addHandler(handler)
    try:
        logger.warning("lookup %s for %s", "13812345678", {"id": "330106198503120019"})
        try:
            raise ValueError("bad phone 13912345678")
        except ValueError:
            logger.exception("failed for zhang@example.cn")
    finally:
        logger.removeHandler(handler)
    out = buffer.getvalue()
    for value in ("13812345678", "330106198503120019", "13912345678", "zhang@example.cn"):
        assert value not in out
    assert "138****5678" in out and "ValueError: bad phone 139****5678" in out


def test_handler_filter_masks_records_made_before_django_was_set_up():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sms to %s", ("13812345678",), None)
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == "sms to 138****5678"


def test_console_sms_prints_masked(capsys):
    ConsoleSmsBackend().send(message=SmsMessage(to="13812345678", body="您的验证码为 042917，5 分钟内有效。"))
    out = capsys.readouterr().out
    assert out == "[SMS to 138****5678] 您的验证码为 ******，5 分钟内有效。\n"


def test_console_email_prints_masked():
    stream = io.StringIO()
    message = mail.EmailMessage(
        "验证码", "验证码 042917，手机 13812345678", "noreply@portal.example", ["zhang@example.cn"]
    )
    MaskedConsoleEmailBackend(stream=stream).send_messages([message])
    out = stream.getvalue()
    assert "zhang@example.cn" not in out and "042917" not in out and "13812345678" not in out
    assert "z***@example.cn" in out


# --- the demo flows, end to end -----------------------------------------------------------------------


NEW_PHONE = "13700001234"
NEW_PASSWORD = "Dianli-2024!logs"


def _code_in(body: str) -> str | None:
    found = re.search(r"(?<!\d)\d{6}(?!\d)", body)
    return found.group() if found else None


class _ConsoleAndLocmem:
    """Prints like the console backend (what a deployment's stdout shows) and keeps the message so
    the test can type the code like a customer reading their phone."""

    def send(self, *, message):
        ConsoleSmsBackend().send(message=message)
        LocmemSmsBackend().send(message=message)


class _AccessLogged(Client):
    """A test client that writes runserver's and gunicorn's access-log line for every request."""

    def request(self, **request):
        response = super().request(**request)
        line = f"{request['REQUEST_METHOD']} {request['PATH_INFO']}"
        if request.get("QUERY_STRING"):
            line += "?" + request["QUERY_STRING"]
        logging.getLogger("django.server").info(
            '"%s HTTP/1.1" %s %s', line, response.status_code, len(response.content)
        )
        logging.getLogger("gunicorn.access").info('127.0.0.1 - - "%s HTTP/1.1" %s', line, response.status_code)
        return response


@pytest.mark.django_db
def test_demo_flows_leave_no_seeded_id_number_or_phone_in_any_log(settings, capfd):
    call_command("seed_demo", "--customers", "30", "--seed", "7", "--curves", "0", stdout=io.StringIO())
    customers = list(Customer.objects.all())
    id_numbers = {c.id_number for c in customers if c.id_number}
    phones = {c.phone for c in customers if c.phone} | {
        u.phone for u in get_user_model().objects.exclude(phone__isnull=True) if u.phone
    }
    assert len(id_numbers) == 30 and len(phones) >= 30

    settings.SMS_BACKEND = f"{__name__}._ConsoleAndLocmem"
    settings.EMAIL_BACKEND = "core.mail.MaskedConsoleEmailBackend"
    settings.BINDING_MAX_ATTEMPTS = 2
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    watched = [
        logging.getLogger(name) for name in ("", "django", "django.server", "django.request", "axes", "gunicorn.access")
    ]
    levels = [logger.level for logger in watched]
    for logger in watched:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    capfd.readouterr()
    codes = []
    try:
        hall = _AccessLogged()
        victim = next(c for c in customers if c.phone and c.accounts.exists())
        # Failed and successful logins, by phone number.
        hall.post("/login/", {"username": victim.phone, "password": "wrong"})
        hall.post("/login/", {"username": DEMO_CUSTOMER_PHONE, "password": DEMO_CUSTOMER_PASSWORD})
        # Binding an account by SMS code (sent to the holder's phone), then failures by ID number
        # against another account until its holder is told.
        account = victim.accounts.first()
        hall.post("/accounts/bind/send-code/", {"account_number": account.number})
        codes = [re.search(r"(?<!\d)\d{6}(?!\d)", m.body).group() for m in LocmemSmsBackend.outbox]
        hall.post("/accounts/bind/sms-code/", {"account_number": account.number, "code": codes[-1]})
        other = Account.objects.exclude(customer=victim).filter(customer__id_number__isnull=False).first()
        attacker = _AccessLogged()
        attacker.force_login(make_portal_user(), backend="security.backends.PhoneOrUsernameBackend")
        for n in range(2):
            attacker.post(
                "/accounts/bind/id-number/",
                {"account_number": other.number, "id_number_last6": "000000"},
                REMOTE_ADDR=f"203.0.113.{n}",
            )
        hall.get(f"/accounts/{victim.phone}/unbind/")  # a 404 logged with the path
        # Registering a new number by its texted code, trying a taken one (its holder is told), and
        # resetting a password by a texted code.
        visitor = _AccessLogged()
        visitor.post("/register/", {"phone": NEW_PHONE, "accept_privacy": "on"})
        visitor.post(
            "/register/verify/",
            {
                "code": _code_in(LocmemSmsBackend.outbox[-1].body),
                "password": NEW_PASSWORD,
                "password_confirm": NEW_PASSWORD,
            },
        )
        _AccessLogged().post("/register/", {"phone": DEMO_CUSTOMER_PHONE, "accept_privacy": "on"})
        forgetful = _AccessLogged()
        forgetful.post("/password-reset/", {"phone": NEW_PHONE})
        forgetful.post(
            "/password-reset/verify/",
            {
                "code": _code_in(LocmemSmsBackend.outbox[-1].body),
                "new_password": NEW_PASSWORD + "2",
                "password_confirm": NEW_PASSWORD + "2",
            },
        )
        # Staff search by phone and ID number: admin ?q= and the API's ?id_number= / ?phone=.
        admin = _AccessLogged()
        admin.post("/admin/login/", {"username": DEMO_ADMIN_USERNAME, "password": DEMO_ADMIN_PASSWORD})
        api = _AccessLogged(
            HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=get_user_model().objects.get(username=DEMO_ADMIN_USERNAME)).key}"
        )
        for target in customers[:5]:
            admin.get("/admin/customers/customer/", {"q": target.phone})
            admin.get("/admin/customers/customer/", {"q": target.id_number})
            api.get("/api/v1/customers", {"id_number": target.id_number})
            api.get("/api/v1/customers", {"phone": target.phone})
        logging.getLogger("customers").info("looked up %s / %s", victim.phone, victim.id_number)  # careless code
        sent = [m.body for m in LocmemSmsBackend.outbox]
        codes = [code for code in map(_code_in, sent) if code]
    finally:
        for logger, level in zip(watched, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    console = capfd.readouterr()
    everything = captured.getvalue() + console.out + console.err
    assert "SMS to" in everything and "django.server" in captured.getvalue()  # the flows did log
    assert PortalBinding.objects.filter(account=account, user__phone_bidx__isnull=False).exists()  # bound by code
    assert other.number in everything  # the holder's warning went out (SMS or e-mail, masked)
    assert len(sent) >= 1
    registered = get_user_model().objects.matching("phone", NEW_PHONE).get()
    assert registered.check_password(NEW_PASSWORD + "2")  # registered, then reset, by texted codes
    assert len(codes) >= 3 and any("已经注册" in body for body in sent)
    phones.add(NEW_PHONE)
    needles = id_numbers | {v.lower() for v in id_numbers} | phones | {"+86" + p for p in phones}
    needles |= {code for code in codes if code != "000000"}
    hits = sorted(needle for needle in needles if needle in everything)
    assert hits == []
