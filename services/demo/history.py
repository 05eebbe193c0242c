"""A year of finished service requests for the demo, so the staff dashboard's request volume, time-limit
compliance and satisfaction panels have months to compare (called by services.demo.seed_services_demo).

Every request goes through the real workflow (submit, accept, each step, rating) at back-dated moments,
for a few dozen history customers spread over the transformer areas. Most steps finish well inside
their working-day limit, some run late; most customers rate, mostly 4–5 stars. Deterministic per seed.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth import get_user_model

from core.calendar import next_working_day
from core.months import add_months, month_start, next_month
from core.time import local_datetime
from customers.demo import DEMO_CUSTOMER_USERNAME, weighted_choice
from customers.models import Account, PortalBinding
from customers.services.preferences import set_notification_preferences
from security.models import User
from services import catalogue, sla
from services.actions.requests import rate_request, submit_request, transition_request
from services.models import ServiceRequest

HISTORY_CUSTOMERS = 30
HISTORY_USERNAME_PREFIX = "history-"
# Requests a month, before the season's extra (summer storms and heat bring fault reports).
MONTHLY_REQUESTS = 7
LATE_SHARE = 0.08
REJECTED_SHARE = 0.04
CANCELLED_SHARE = 0.03
RATED_SHARE = 0.7
RATINGS = ((5, 55), (4, 28), (3, 10), (2, 5), (1, 2))

QUESTIONS = [
    "阶梯电价第二档从多少度开始？",
    "峰谷电价和普通电价哪个更划算？",
    "电费可以用哪些方式缴纳？",
    "家里装充电桩需要办理什么手续？",
    "账单上的“力调电费”是什么意思？",
]
FAULTS = [
    ("楼道电表箱跳闸，整层没电", "小区2幢1单元"),
    ("家里突然停电，邻居家有电", "西湖区文三路120号"),
    ("电线杆上的线掉下来了", "拱墅区大关路口"),
    ("电压忽高忽低，灯一直闪", "上城区秋涛路88号"),
]
COMPLAINTS = [("抢修人员到达太慢", "报修后等了三个多小时才有人来"), ("账单寄送地址错误", "已经说过两次还是寄到旧地址")]
ANSWERS = ["已电话答复客户，客户表示清楚。", "已在线答复并发送相关办理指南。"]
COMMENTS = {
    5: ["很及时，谢谢！", "师傅很专业。", ""],
    4: ["还可以。", ""],
    3: ["等得有点久。"],
    2: ["处理太慢。"],
    1: ["不满意。"],
}


def _history_customers(*, rng: random.Random) -> list[tuple[User, Account]]:
    """Portal users (no password, no SMS or e-mail) owning one account each, spread over the areas."""
    accounts = list(
        Account.objects.active()
        .filter(area__isnull=False)
        .exclude(bindings__user__username=DEMO_CUSTOMER_USERNAME)
        .order_by("number")
    )
    chosen = sorted(rng.sample(accounts, min(HISTORY_CUSTOMERS, len(accounts))), key=lambda a: a.number)
    user_model = get_user_model()
    pairs: list[tuple[User, Account]] = []
    for account in chosen:
        user = user_model(username=f"{HISTORY_USERNAME_PREFIX}{account.number}", kind=user_model.Kind.CUSTOMER)
        user.set_unusable_password()
        user.save()
        PortalBinding.objects.create(
            user=user, account=account, role=PortalBinding.Role.OWNER, method=PortalBinding.Method.STAFF
        )
        set_notification_preferences(user=user, enabled=[])  # their past messages are not sent today
        pairs.append((user, account))
    return pairs


def _working_moment(day: dt.date, hour: int) -> dt.datetime:
    return local_datetime(next_working_day(day), dt.time(hour))


def _finish(*, rng: random.Random, started: dt.datetime, working_days: int | None) -> dt.datetime:
    """When a step that started at ``started`` is finished: inside its limit, or late now and then."""
    if working_days is None:
        return started + dt.timedelta(hours=rng.randint(1, 4))
    due = sla.due_at(started_at=started, working_days=working_days)
    if rng.random() < LATE_SHARE:
        return due + dt.timedelta(days=rng.randint(1, 4), hours=10)
    latest = max(started + dt.timedelta(hours=1), due - dt.timedelta(hours=14))
    return started + (latest - started) * rng.uniform(0.05, 0.6)


def _request_form(*, rng: random.Random, code: str) -> dict:
    phone = f"139{rng.randint(10_000_000, 99_999_999)}"
    if code == "consultation":
        return {"question": rng.choice(QUESTIONS)}
    if code == "fault_repair":
        description, place = rng.choice(FAULTS)
        return {"fault_address": place, "description": description, "contact_phone": phone}
    if code == "complaint":
        subject, details = rng.choice(COMPLAINTS)
        return {"subject": subject, "description": details, "contact_phone": phone}
    return {"reason": "电量比去年同期明显偏高", "contact_phone": phone}


def _records(*, rng: random.Random, step_code: str) -> dict:
    if step_code == "meter_test":
        return {"test_result": f"误差 {rng.uniform(-0.8, 0.8):+.2f} %，合格"}
    if step_code in ("answering", "reply"):
        return {"answer": rng.choice(ANSWERS)}
    return {}


def _run_one(
    *, rng: random.Random, code: str, applicant, account: Account, submitted: dt.datetime, staff: dict
) -> None:
    service_request = submit_request(
        applicant=applicant,
        service_type_code=code,
        form=_request_form(rng=rng, code=code),
        as_of=submitted,
        account_number=account.number,
    )
    agent = staff[catalogue.CSA]
    draw = rng.random()
    if draw < CANCELLED_SHARE:
        transition_request(
            actor=applicant,
            service_request_id=service_request.pk,
            action="cancel",
            as_of=submitted + dt.timedelta(hours=1),
        )
        return
    moment = _finish(rng=rng, started=submitted, working_days=catalogue.ACCEPTANCE.sla_days)
    if draw < CANCELLED_SHARE + REJECTED_SHARE:
        transition_request(
            actor=agent,
            service_request_id=service_request.pk,
            action="reject",
            as_of=moment,
            note="不属于供电企业受理范围，已告知客户向物业咨询。",
        )
        return
    transition_request(actor=agent, service_request_id=service_request.pk, action="accept", as_of=moment)
    spec = next(spec for spec in catalogue.CATALOGUE if spec.code == code)
    for step in spec.steps:
        if step.code in (catalogue.SUBMITTED, catalogue.RETURNED):
            continue
        moment = _finish(rng=rng, started=moment, working_days=step.sla_days)
        transition_request(
            actor=staff[step.role],
            service_request_id=service_request.pk,
            action="advance",
            as_of=moment,
            recorded=_records(rng=rng, step_code=step.code),
        )
    if rng.random() < RATED_SHARE:
        rating = weighted_choice(rng, RATINGS)
        rate_request(
            user=applicant,
            service_request_id=service_request.pk,
            rating=rating,
            comment=rng.choice(COMMENTS[rating]),
            as_of=moment + dt.timedelta(days=rng.randint(0, 3), hours=2),
        )


def seed_request_history(*, seed: int, as_of: dt.date, staff: dict) -> str:
    """Twelve months of finished requests, ending three weeks before ``as_of``; ``staff`` maps each
    workflow role to the demo user who acts in it."""
    rng = random.Random(f"{seed}:service-history")  # noqa: S311 - reproducible demo data
    customers = _history_customers(rng=rng)
    if not customers:
        return "Service-request history: no accounts; skipped."
    kinds = (("consultation", 35), ("fault_repair", 30), ("meter_check", 15), ("complaint", 20))
    first_month = add_months(month_start(as_of), -12)
    last_day = as_of - dt.timedelta(days=21)
    before = ServiceRequest.objects.count()
    month = first_month
    while month <= last_day:
        extra = 3 if month.month in (6, 7, 8) else 0
        days_in_month = (next_month(month) - month).days
        for _ in range(MONTHLY_REQUESTS + extra + rng.randint(-2, 2)):
            day = month + dt.timedelta(days=rng.randrange(days_in_month))
            if day > last_day:
                continue
            applicant, account = rng.choice(customers)
            submitted = _working_moment(day, rng.randint(8, 17)) + dt.timedelta(minutes=rng.randrange(60))
            _run_one(
                rng=rng,
                code=weighted_choice(rng, kinds),
                applicant=applicant,
                account=account,
                submitted=submitted,
                staff=staff,
            )
        month = next_month(month)
    created = ServiceRequest.objects.count() - before
    return f"Service-request history: {created} requests over twelve months from {len(customers)} customers."
