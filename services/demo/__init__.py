"""The services app's part of ``manage.py seed_demo`` (ServicesConfig.demo_seeder), called by customers'
seed_demo after customers, billing and analytics have seeded. Demo code lives here only: nothing in
actions/, selectors/ or the pages imports it."""

from __future__ import annotations

import datetime as dt

from services import catalogue
from services.demo.demand_response import seed_demand_response_demo
from services.demo.history import seed_request_history
from services.demo.notices import seed_notices_demo
from services.demo.openadr import seed_openadr_demo
from services.demo.requests import demo_staff, seed_requests


def seed_services_demo(*, seed: int, as_of: dt.date, customers: int, curves=None, progress: bool = False) -> str:
    """Outage notices for the demo customer's area, demo service requests, a year of history, then the
    demand-response programs, past season and upcoming invitation."""
    notices = seed_notices_demo(as_of=as_of)
    staff = demo_staff()
    requests = seed_requests(as_of=as_of, staff=staff)
    front_line = {role: staff[role] for role in (catalogue.CSA, catalogue.ENGINEER, catalogue.CLERK)}
    if all(front_line.values()):
        history = seed_request_history(seed=seed, as_of=as_of, staff=front_line)
    else:
        history = "Service-request history: no demo staff; skipped."
    demand_response = seed_demand_response_demo(seed=seed, as_of=as_of)
    openadr = seed_openadr_demo(as_of=as_of)
    return f"{notices}\n{requests}\n{history}\n{demand_response}\n{openadr}"
