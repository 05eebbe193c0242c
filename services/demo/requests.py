"""Demo service requests for the business hall and the staff queues: four requests of the demo customer
at different steps, and the demo staff covering every area (called by services.demo.seed_services_demo)."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

from django.contrib.auth import get_user_model

from core.time import local_datetime
from customers.demo import DEMO_CUSTOMER_USERNAME, staff_username_for
from customers.models import TransformerArea
from security import roles
from services.actions.attachments import add_attachment
from services.actions.requests import rate_request, submit_request, transition_request
from services.models import StaffCoverage


def tiny_png(*, rgb: tuple[int, int, int] = (200, 220, 255), size: int = 8) -> bytes:
    """A valid PNG of one colour: enough for a demo document."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _upload(*, user, service_request, codes, at) -> None:
    for code in codes:
        add_attachment(
            actor=user,
            service_request=service_request,
            document_type=code,
            filename=f"{code}.png",
            content=io.BytesIO(tiny_png()),
            as_of=at,
        )


def demo_staff() -> dict:
    """The demo user of each staff role (None where seed_demo made none)."""
    user_model = get_user_model()
    return {role: user_model.objects.filter(username=staff_username_for(role=role)).first() for role in roles.ALL_ROLES}


def seed_requests(*, as_of: dt.date, staff: dict) -> str:
    customer = get_user_model().objects.filter(username=DEMO_CUSTOMER_USERNAME).first()
    front_line = [
        staff[r] for r in (roles.CUSTOMER_SERVICE_AGENT, roles.FIELD_ENGINEER, roles.BILLING_CLERK) if staff[r]
    ]
    # The demo staff cover every area, so requests land in their "assigned to me" queues.
    StaffCoverage.objects.bulk_create(
        [
            StaffCoverage(user=user, area_id=area_id)
            for user in front_line
            for area_id in TransformerArea.objects.values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    if customer is None or not front_line:
        return "Service requests: no demo customer or staff; skipped."
    agent = staff[roles.CUSTOMER_SERVICE_AGENT]
    accounts = list(customer.bindings.select_related("account").order_by("account__number"))
    account = accounts[0].account

    def moment(days_ago: int, hour: int = 10) -> dt.datetime:
        return local_datetime(as_of - dt.timedelta(days=days_ago), dt.time(hour))

    # 1. A consultation answered and rated.
    asked = submit_request(
        applicant=customer,
        service_type_code="consultation",
        as_of=moment(20),
        form={"question": "峰谷电价怎么申请？晚上洗衣服能省多少钱？"},
    )
    transition_request(actor=agent, service_request_id=asked.pk, action="accept", as_of=moment(20, 14))
    transition_request(
        actor=agent,
        service_request_id=asked.pk,
        action="advance",
        as_of=moment(19, 9),
        recorded={
            "answer": "可在网上营业厅提交“改类”申请，选择居民峰谷分时电价；谷段（22:00–次日8:00）电价约低 0.28 元/千瓦时。"
        },
    )
    rate_request(user=customer, service_request_id=asked.pk, rating=5, comment="回复很快，讲得清楚。", as_of=moment(18))

    # 2. A capacity increase being surveyed.
    increase = submit_request(
        applicant=customer,
        service_type_code="capacity_increase",
        as_of=moment(6),
        account_number=account.number,
        form={
            "new_kva": "12",
            "effective_on": (as_of + dt.timedelta(days=30)).isoformat(),
            "reason": "家里新装了电动汽车充电桩",
            "contact_phone": "13800138000",
        },
    )
    _upload(user=customer, service_request=increase, codes=["id_card", "load_list"], at=moment(6))
    transition_request(actor=agent, service_request_id=increase.pk, action="accept", as_of=moment(5))

    # 3. A meter check returned for more information.
    check = submit_request(
        applicant=customer,
        service_type_code="meter_check",
        as_of=moment(3),
        account_number=account.number,
        form={"reason": "上月电量比往年同期高出一倍", "contact_phone": "13800138000"},
    )
    transition_request(
        actor=agent,
        service_request_id=check.pk,
        action="return",
        as_of=moment(2),
        note="请补充最近一次抄表示数的照片，以便我们先核对读数。",
    )

    # 4. A fault report waiting for dispatch (its one-day limit makes it "due soon" in the queues).
    submit_request(
        applicant=customer,
        service_type_code="fault_repair",
        as_of=moment(0, 8),
        form={
            "fault_address": "文三路90号3幢楼道",
            "description": "楼道电表箱有焦味，灯忽明忽暗",
            "contact_phone": "13800138000",
        },
    )
    return "Service requests: 4 demo requests for the demo customer; demo staff cover every area."
