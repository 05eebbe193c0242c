"""OpenADR test set-up: a VTN world (a program with terms, two accounts enrolled, VEN A and VEN B each
with a resource bound to one of them, a BL client, an event for each account) and ``vtn``, a test
client whose every request and response is validated by openapi-core against the vendored
openadr3.yaml (services/api/openadr/spec/)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from django.test import Client
from openapi_core import OpenAPI
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

from core import clock
from core.time import SHANGHAI
from services.actions.demand_response.events import EventTargets, create_event, dispatch_event
from services.actions.demand_response.programs import add_terms_version
from services.actions.openadr.credentials import create_client
from services.models import DREnrolment, DREvent, DRProgram, OadrClient, Ven, VenResource
from tests.factories import make_account

UNDECLARED_STATUSES = {401, 403, 429}
SPEC_PATH = Path(__file__).resolve().parents[3] / "services" / "api" / "openadr" / "spec" / "openadr3.yaml"


def load_spec(server: str = "http://testserver/openadr3") -> OpenAPI:
    return OpenAPI.from_dict(spec_dict(server))


def spec_dict(server: str = "http://testserver/openadr3") -> dict:
    """The vendored openadr3.yaml served under ``server``, with the published 3.1.0 errata corrected."""
    spec = yaml.safe_load(SPEC_PATH.read_text())
    # The vendored servers entry is SwaggerHub's mock; the contract is the same under our mount point.
    spec["servers"] = [{"url": server}]
    # Erratum in the published 3.1.0 YAML: BlVenRequest.targets has "default: null          -" (a stray
    # list dash on the line); the intended default is null like every other targets property.
    schemas = spec["components"]["schemas"]
    schemas["BlVenRequest"]["properties"]["targets"]["default"] = None
    # Erratum: two discriminators on objectType have no mapping, and their values (EVENT_PAYLOAD_DESCRIPTOR,
    # PROGRAM, …) are not schema names, so a validator cannot resolve them; the mapping they mean:
    schemas["programRequest"]["properties"]["payloadDescriptors"]["items"]["discriminator"]["mapping"] = {
        "EVENT_PAYLOAD_DESCRIPTOR": "#/components/schemas/eventPayloadDescriptor",
        "REPORT_PAYLOAD_DESCRIPTOR": "#/components/schemas/reportPayloadDescriptor",
    }
    # Erratum: ven = allOf(objectMetadata, BlVenRequest) and resource = allOf(objectMetadata,
    # BlResourceRequest) demand objectType to be both VEN (objectTypes) and BL_VEN_REQUEST: no object can
    # satisfy both. The User Guide's examples answer objectType VEN / RESOURCE, so the response schemas
    # take the request's properties without its objectType enumeration.
    for response_name, request_name in (("ven", "BlVenRequest"), ("resource", "BlResourceRequest")):
        request_schema = copy.deepcopy(schemas[request_name])
        request_schema["properties"]["objectType"] = {"type": "string"}
        schemas[f"{request_name}AsStored"] = request_schema
        schemas[response_name]["allOf"][1] = {"$ref": f"#/components/schemas/{request_name}AsStored"}
    schemas["notification"]["properties"]["object"]["discriminator"]["mapping"] = {
        name.upper(): f"#/components/schemas/{name}"
        for name in ("program", "report", "event", "subscription", "ven", "resource")
    }
    return spec


SPEC = None


def spec() -> OpenAPI:
    global SPEC
    if SPEC is None:
        SPEC = load_spec()
    return SPEC


def check_exchange(openapi: OpenAPI, request: MockRequest, response: MockResponse, status: int, content: bytes) -> None:
    try:
        openapi.validate_response(request, response)
    except ResponseNotFound:
        # Statuses the spec leaves out for an operation (429 everywhere; 401 on PUT /programs/{id}
        # and /notifiers; 403 on /notifiers): still the problem object (docs/openadr.md).
        assert status in UNDECLARED_STATUSES, status
        problem = json.loads(content)
        assert set(problem) <= {"type", "title", "status", "detail", "instance"}
        assert problem["status"] == status and isinstance(problem["detail"], str)
    if status < 400:
        openapi.validate_request(request)


def validate_exchange(openapi: OpenAPI, response, *, prefix: str) -> None:
    """An httpx exchange (a third-party client's) against the contract."""
    request = response.request
    url = request.url
    mock_request = MockRequest(
        f"{url.scheme}://{url.netloc.decode()}",
        request.method,
        url.path,
        args=list(url.params.multi_items()),
        headers=dict(request.headers),
        data=request.content,
        content_type=request.headers.get("Content-Type", "application/json").split(";")[0],
    )
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("Content-Type", "").split(";")[0],
    )
    check_exchange(openapi, mock_request, mock_response, response.status_code, response.content)


class ContractClient:
    """Django's test client under /openadr3/ with a bearer token; every exchange checked against the
    spec (request and response) unless ``check=False`` (deliberately malformed requests)."""

    def __init__(self) -> None:
        self.client = Client()
        self.exchanges = 0

    def call(self, method: str, path: str, *, token: str | None = None, body=None, params=None, check=True):
        url = "/openadr3" + path + (("?" + urlencode(params, doseq=True)) if params else "")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        raw = json.dumps(body).encode() if body is not None else b""
        kwargs = {"content_type": "application/json", "data": raw} if body is not None else {}
        response = getattr(self.client, method.lower())(url, **kwargs, **headers)
        if check:
            self.validate(
                method=method,
                path=path,
                params=params,
                headers={"Authorization": f"Bearer {token}"} if token else {},
                body=raw,
                content_type="application/json",
                response=response,
            )
        return response

    def validate(self, *, method, path, params, headers, body, content_type, response) -> None:
        args = [
            (k, str(v))
            for k, values in (params or {}).items()
            for v in (values if isinstance(values, list) else [values])
        ]
        request = MockRequest(
            "http://testserver",
            method,
            "/openadr3" + path,
            args=args,
            headers=headers,
            data=body,
            content_type=content_type,
        )
        openapi_response = MockResponse(
            response.content,
            status_code=response.status_code,
            headers=dict(response.items()),
            content_type=response.get("Content-Type", "").split(";")[0],
        )
        check_exchange(spec(), request, openapi_response, response.status_code, response.content)
        self.exchanges += 1

    def token(self, client_id: str, secret: str, scope: str | None = None, *, expect: int = 200):
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        if scope is not None:
            data["scope"] = scope
        response = self.client.post(
            "/openadr3/auth/token", data=urlencode(data), content_type="application/x-www-form-urlencoded"
        )
        self.validate(
            method="POST",
            path="/auth/token",
            params=None,
            headers={},
            body=urlencode(data).encode(),
            content_type="application/x-www-form-urlencoded",
            response=response,
        )
        assert response.status_code == expect, response.content
        return response.json()["access_token"] if expect == 200 else response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, body=body, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def vtn() -> ContractClient:
    return ContractClient()


def tomorrow_at(hour: int, minute: int = 0) -> dt.datetime:
    day = clock.now().astimezone(SHANGHAI).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class Credential:
    client: OadrClient
    secret: str

    @property
    def client_id(self) -> str:
        return self.client.client_id


@dataclass
class World:
    program: DRProgram
    account_a: object
    account_b: object
    bl: Credential
    ven_a: Credential
    ven_b: Credential
    ven_obj_a: Ven
    ven_obj_b: Ven
    resource_a: VenResource
    resource_b: VenResource
    event_a: DREvent
    event_b: DREvent


def make_program(code: str = "oadr-shave", **overrides) -> DRProgram:
    today = clock.now().astimezone(SHANGHAI).date()
    values = {
        "code": code,
        "name": "削峰（OpenADR）",
        "kind": DRProgram.Kind.PEAK_SHAVING,
        "notice_class": DRProgram.NoticeClass.CONTRACTED,
        "min_notice_minutes": 30,
        "valid_from": today - dt.timedelta(days=30),
        "valid_to": today + dt.timedelta(days=60),
        "baseline_method": DRProgram.BaselineMethod.SIMILAR_WORKING_DAYS,
        "allow_ven_reported_data": True,
    }
    values.update(overrides)
    program = DRProgram.objects.create(**values)
    add_terms_version(program=program, valid_from=values["valid_from"], energy_price=D("1.5"))
    return program


def enrol(program: DRProgram, account, kw: str = "5") -> DREnrolment:
    return DREnrolment.objects.create(
        program=program,
        account=account,
        committed_kw=D(kw),
        terms=program.terms.get(),
        accepted_at=clock.now() - dt.timedelta(days=1),
        channel=DREnrolment.Channel.OPENADR,
    )


def event_for(program: DRProgram, account, *, name: str, hour: int = 14) -> DREvent:
    now = clock.now()
    event = create_event(
        program=program,
        name=name,
        start=tomorrow_at(hour),
        end=tomorrow_at(hour + 2),
        notice_at=now,
        requested_kw=D("5"),
        targets=EventTargets(account_ids=[account.pk]),
        user=None,
        now=now,
    )
    return dispatch_event(event=event, user=None, now=now)


def make_ven(credential: Credential, *, name: str, account, resource_name: str) -> tuple[Ven, VenResource]:
    now = clock.now()
    ven = Ven.objects.create(ven_name=name, client_id=credential.client_id, created_at=now, modified_at=now)
    resource = VenResource.objects.create(
        ven=ven,
        resource_name=resource_name,
        client_id=credential.client_id,
        account=account,
        created_at=now,
        modified_at=now,
    )
    return ven, resource


@pytest.fixture
def world(db) -> World:
    now = clock.now()
    program = make_program()
    account_a, account_b = make_account(), make_account()
    enrol(program, account_a)
    enrol(program, account_b)
    bl = Credential(*create_client(role=OadrClient.Role.BL, name="Utility BL", user=None, now=now))
    ven_a = Credential(*create_client(role=OadrClient.Role.VEN, name="Aggregator A", user=None, now=now))
    ven_b = Credential(*create_client(role=OadrClient.Role.VEN, name="Aggregator B", user=None, now=now))
    ven_obj_a, resource_a = make_ven(ven_a, name="ven-a", account=account_a, resource_name="site-a")
    ven_obj_b, resource_b = make_ven(ven_b, name="ven-b", account=account_b, resource_name="site-b")
    event_a = event_for(program, account_a, name="for A")
    event_b = event_for(program, account_b, name="for B", hour=17)
    return World(
        program=program,
        account_a=account_a,
        account_b=account_b,
        bl=bl,
        ven_a=ven_a,
        ven_b=ven_b,
        ven_obj_a=ven_obj_a,
        ven_obj_b=ven_obj_b,
        resource_a=resource_a,
        resource_b=resource_b,
        event_a=event_a,
        event_b=event_b,
    )


@pytest.fixture
def tokens(world, vtn) -> dict[str, str]:
    return {
        "bl": vtn.token(world.bl.client_id, world.bl.secret),
        "a": vtn.token(world.ven_a.client_id, world.ven_a.secret),
        "b": vtn.token(world.ven_b.client_id, world.ven_b.secret),
    }
