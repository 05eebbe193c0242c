"""Small builders for test data: valid identifiers and a customer/account with a bound user."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.time import SHANGHAI
from customers.models import Account, Customer, Feeder, PortalBinding, TransformerArea
from customers.validators import credit_code_check_char, id_number_check_char

_sequence = itertools.count(1)


def make_id_number(*, region: str = "330106", birth: str = "19850312", serial: int | None = None) -> str:
    body = f"{region}{birth}{(serial if serial is not None else next(_sequence)) % 1000:03d}"
    return body + id_number_check_char(body)


def make_credit_code(*, region: str = "330106", serial: int | None = None) -> str:
    body = f"91{region}{(serial if serial is not None else next(_sequence)) % 10**9:09d}"
    return body + credit_code_check_char(body)


def make_phone() -> str:
    return f"139{next(_sequence) % 10**8:08d}"


def make_area(*, code: str | None = None) -> TransformerArea:
    n = next(_sequence)
    feeder, _ = Feeder.objects.get_or_create(code="F-TEST", defaults={"name": "测试线"})
    return TransformerArea.objects.create(code=code or f"A-{n}", name=f"测试台区{n}", feeder=feeder)


def make_customer(**overrides) -> Customer:
    values = {
        "name": "王小明",
        "kind": Customer.Kind.INDIVIDUAL,
        "id_number": make_id_number(),
        "phone": make_phone(),
        "email": f"user{next(_sequence)}@example.cn",
        "address": "浙江省杭州市西湖区文三路90号",
    }
    values.update(overrides)
    customer = Customer(**values)
    customer.full_clean()
    customer.save()
    return customer


def make_account(*, customer: Customer | None = None, area: TransformerArea | None = None, **overrides) -> Account:
    values = {
        "number": f"33{next(_sequence):08d}",
        "customer": customer or make_customer(),
        "premise_address": "浙江省杭州市西湖区文三路90号3幢201室",
        "category": Account.Category.RESIDENTIAL,
        "voltage_level": Account.VoltageLevel.V220,
        "contracted_kva": Decimal("8.00"),
        "opened_on": dt.date(2020, 1, 1),
        "area": area or make_area(),
    }
    values.update(overrides)
    return Account.objects.create(**values)


def make_portal_user(*, phone: str | None = None, password: str = "Pa55word!x") -> object:
    user_model = get_user_model()
    user = user_model(username=f"c_{next(_sequence)}", kind="customer", phone=phone or make_phone())
    user.set_password(password)
    user.save()
    return user


def make_staff(*, role: str, username: str | None = None) -> object:
    user_model = get_user_model()
    user = user_model.objects.create_user(
        username=username or f"{role}_{next(_sequence)}", password="Staff-pa55!", kind="staff", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return user


def bind(*, user, account: Account, role: str = PortalBinding.Role.OWNER) -> PortalBinding:
    return PortalBinding.objects.create(user=user, account=account, role=role, method=PortalBinding.Method.STAFF)


def make_meter(*, account: Account | None = None, meter_no: str | None = None, **overrides):
    """A customer meter installed on 2026-01-01 (Asia/Shanghai), 15-minute intervals, multiplier 1."""
    from billing.models import Meter

    account = account or make_account()
    values = {
        "meter_no": meter_no or f"M{next(_sequence):09d}",
        "role": Meter.Role.CUSTOMER,
        "account": account,
        "area": account.area,
        "installed_at": dt.datetime(2026, 1, 1, tzinfo=SHANGHAI),
        "interval_minutes": 15,
        "multiplier": Decimal("1"),
    }
    values.update(overrides)
    return Meter.objects.create(**values)
