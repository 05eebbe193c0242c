"""The OpenADR part of ``seed_demo``: one demo aggregator VEN (fixed demo credentials, demo data only)
with two resources bound to two demo accounts, enrolled in a demo OpenADR peak-shaving program that
accepts VEN-reported usage, and a demo BL client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.time import local_midnight
from customers.models import Account
from services.actions.demand_response.programs import add_terms_version
from services.actions.openadr.credentials import create_client
from services.models import DREnrolment, DRProgram, OadrClient, Ven, VenResource

DEMO_VEN_CLIENT_ID = "demo-aggregator"
# Demo data only: staff-created clients get random secrets, stored hashed.
DEMO_VEN_SECRET = "demo-aggregator-secret"  # noqa: S105
DEMO_BL_CLIENT_ID = "demo-bl"
DEMO_BL_SECRET = "demo-bl-secret"  # noqa: S105


def seed_openadr_demo(*, as_of: dt.date, **_ignored) -> str:
    if OadrClient.objects.filter(application__client_id=DEMO_VEN_CLIENT_ID).exists():
        return _summary()
    now = local_midnight(as_of)
    accounts = list(Account.objects.order_by("pk")[:2])
    if len(accounts) < 2:
        return "OpenADR demo: fewer than two accounts; skipped."
    create_client(
        role=OadrClient.Role.VEN, name="示范聚合商 Demo aggregator", user=None, now=now,
        client_id=DEMO_VEN_CLIENT_ID, secret=DEMO_VEN_SECRET,
    )  # fmt: skip
    create_client(
        role=OadrClient.Role.BL,
        name="营销系统 BL",
        user=None,
        now=now,
        client_id=DEMO_BL_CLIENT_ID,
        secret=DEMO_BL_SECRET,
    )
    ven = Ven.objects.create(
        ven_name="demo-aggregator",
        client_id=DEMO_VEN_CLIENT_ID,
        targets=["group-demo"],
        created_at=now,
        modified_at=now,
    )
    for k, account in enumerate(accounts, start=1):
        VenResource.objects.create(
            ven=ven,
            resource_name=f"demo-site-{k}",
            client_id=DEMO_VEN_CLIENT_ID,
            account=account,
            created_at=now,
            modified_at=now,
        )
    program = DRProgram.objects.create(
        code="openadr-demo-shave",
        name="OpenADR 聚合商削峰（示范）",
        kind=DRProgram.Kind.PEAK_SHAVING,
        notice_class=DRProgram.NoticeClass.CONTRACTED,
        min_notice_minutes=30,
        valid_from=as_of - dt.timedelta(days=30),
        valid_to=as_of + dt.timedelta(days=335),
        baseline_method=DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
        allow_ven_reported_data=True,
    )
    terms = add_terms_version(program=program, valid_from=program.valid_from, energy_price=Decimal("1.5"))
    for account in accounts:
        DREnrolment.objects.create(
            program=program,
            account=account,
            committed_kw=Decimal("5"),
            terms=terms,
            accepted_at=now,
            channel=DREnrolment.Channel.OPENADR,
            staff_reason="",
        )
    return _summary()


def _summary() -> str:
    return (
        "OpenADR 3.1 VTN at /openadr3/ (docs/openadr.md): demo VEN client id "
        f"{DEMO_VEN_CLIENT_ID} secret {DEMO_VEN_SECRET}; demo BL client id {DEMO_BL_CLIENT_ID} secret {DEMO_BL_SECRET}"
    )
