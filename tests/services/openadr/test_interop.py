"""Interoperability: the third-party python-oa3-client (0.5.x, OpenADR 3.1.0) as a real VEN and as BL
against the running test server (pytest-django's live_server): token by client credentials (found
through /auth/server), VEN registration, programs, the targeted event, a webhook subscription that
receives staff's new event, a USAGE report that staff see in measurement; as BL a program and an event.
Every response the client receives is validated against the vendored openadr3.yaml."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import httpx
import pytest
from openadr3_client import BlClient, VenClient

from services.actions.demand_response.programs import add_terms_version
from services.models import DREvent, DRProgram, Subscription, VenReading
from services.selectors.openadr import ven_vs_meter
from tests.services.openadr.conftest import enrol, event_for, load_spec, tomorrow_at, validate_exchange

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _contract_hook(base_url: str):
    spec = load_spec(server=base_url)
    checked = []

    def hook(response: httpx.Response) -> None:
        response.read()
        validate_exchange(spec, response, prefix=httpx.URL(base_url).path)
        checked.append(response.request.url.path)

    return hook, checked


def _started(client, base_url):
    client.start()
    hook, checked = _contract_hook(base_url)
    client.api._http.event_hooks["response"].append(hook)
    return checked


def test_a_third_party_ven_and_bl_work_against_the_vtn(world, live_server):
    base = f"{live_server.url}/openadr3"
    ven = VenClient(url=base, client_id=world.ven_a.client_id, client_secret=world.ven_a.secret)
    checked = _started(ven, base)
    try:
        # Registration finds the ven object staff registered for this client (venName ven-a).
        ven.register("ven-a")
        assert ven.ven_id == str(world.ven_obj_a.pk)
        programs = ven.programs()
        assert [p.program_name for p in programs] == ["oadr-shave"]
        events = ven.poll_events("oadr-shave")  # sends dateStart/dateEnd, which 3.1.0 does not define: ignored
        assert [e.id for e in events] == [str(world.event_a.pk)]
        assert ven.event(str(world.event_a.pk)).event_name == "for A"

        channel = ven.add_webhook(host="127.0.0.1", port=0, bearer_token="hook-secret", callback_host="127.0.0.1")
        channel.start()
        ven.subscribe(program_names=["oadr-shave"], objects=["EVENT"], operations=["CREATE"], channel=channel)
        assert Subscription.objects.get(client_id=world.ven_a.client_id).program_id == world.program.pk

        # Staff publish a new event for A's account: the VEN's webhook receives it.
        new = event_for(world.program, world.account_a, name="staff published", hour=10)
        (message,) = channel._receiver.await_messages(1, timeout=10.0)
        assert message.payload.operation == "CREATE"
        assert message.payload.object.id == str(new.pk)

        report = ven.api.create_report(
            {
                "eventID": str(new.pk),
                "clientName": "ven-a",
                "reportName": "usage",
                "payloadDescriptors": [
                    {"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "USAGE", "units": "KWH"}
                ],
                "resources": [
                    {
                        "resourceName": "site-a",
                        "intervalPeriod": {"start": new.start.isoformat(), "duration": "PT15M"},
                        "intervals": [{"id": 0, "payloads": [{"type": "USAGE", "values": [0.75]}]}],
                    }
                ],
            }
        )
        assert report.status_code == 201, report.text
        assert ven.reports()[0].id == report.json()["id"]
    finally:
        ven.stop()
    # Staff measurement: the VEN's 0.75 kWh for A's account, no meter reading to compare with.
    (measured,) = ven_vs_meter(event=DREvent.objects.get(pk=new.pk))
    assert (measured.account_number, measured.ven_total_kwh, measured.meter_total_kwh) == (
        world.account_a.number,
        D("0.75"),
        None,
    )
    assert VenReading.objects.get().account_id == world.account_a.pk
    assert {"/openadr3/vens", "/openadr3/programs", "/openadr3/events", "/openadr3/reports"} <= set(checked)

    bl = BlClient(url=base, client_id=world.bl.client_id, client_secret=world.bl.secret)
    _started(bl, base)
    try:
        created = bl.api.create_program(
            {"programName": "BL-Interop", "intervalPeriod": {"start": tomorrow_at(0).isoformat(), "duration": "P30D"}}
        )
        assert created.status_code == 201, created.text
        program = DRProgram.objects.get(pk=created.json()["id"])
        # Money terms and enrolments are staff's (admin console), not the protocol's.
        add_terms_version(program=program, valid_from=program.valid_from, energy_price=D("2"))
        enrol(program, world.account_b)
        event = bl.api.create_event(
            {
                "programID": str(program.pk),
                "eventName": "BL interop",
                "targets": [f"account:{world.account_b.number}"],
                "intervalPeriod": {"start": tomorrow_at(9).isoformat(), "duration": "PT1H"},
                "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}],
            }
        )
        assert event.status_code == 201, event.text
        stored = DREvent.objects.get(pk=event.json()["id"])
        assert (stored.status, stored.end - stored.start) == ("scheduled", dt.timedelta(hours=1))
        assert [e.id for e in bl.events(programID=str(program.pk))] == [str(stored.pk)]
    finally:
        bl.stop()
