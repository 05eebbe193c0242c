"""The OpenADR 3.1.0 VTN under /openadr3/ (services/api/openadr/spec/openadr3.yaml is the contract).
Each view reads the clock, checks the scope the spec names for its method, parses the body and makes
one action call (a write) or selector call (a read); errors are the spec's problem objects."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.views import TokenView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.api.parsers import JSONParser
from security.models import AuditEvent
from security.services.audit import record_event
from services.actions.openadr import events as event_actions
from services.actions.openadr import programs as program_actions
from services.actions.openadr import reports as report_actions
from services.actions.openadr import subscriptions as subscription_actions
from services.actions.openadr import vens as ven_actions
from services.api.openadr import parsers
from services.api.openadr.auth import ClientRateThrottle, HasOpenADRScope, OpenADRAuthentication, caller_of
from services.api.openadr.problems import Problem, problem_exception_handler, problem_response
from services.selectors import openadr as oadr


class OpenADRView(APIView):
    schema = None  # the contract is the OpenADR spec (spec/openadr3.yaml), not our /api/schema/
    authentication_classes = [OpenADRAuthentication]
    permission_classes = [HasOpenADRScope]
    throttle_classes = [ClientRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    required_scopes: dict[str, str] = {}

    def get_exception_handler(self):
        return problem_exception_handler

    def viewer(self, request, *, with_targets: bool = False) -> oadr.Viewer:
        cache_name = "_oadr_viewer_targets" if with_targets else "_oadr_viewer"
        viewer = getattr(request, cache_name, None)
        if viewer is None:
            caller = caller_of(request)
            requested = parsers.targets_param(request.query_params) if with_targets else None
            viewer = oadr.viewer_for(client_id=caller.client_id, is_bl=caller.is_bl, requested=requested)
            setattr(request, cache_name, viewer)
        return viewer

    def bl_only(self, request) -> None:
        if not caller_of(request).is_bl:
            raise Problem(403, "Only a BL client may do this.")


def _pk(value: str) -> int:
    if not value.isdigit():
        raise Problem(404, "Not found.")
    return int(value)


def _found(obj):
    if obj is None:
        raise Problem(404, "Not found.")
    return obj


# -- auth and notifiers ------------------------------------------------------------------------------


class AuthServerView(APIView):
    schema = None
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return problem_exception_handler

    def get(self, request):
        return Response({"tokenURL": request.build_absolute_uri("/openadr3/auth/token")})


@method_decorator(csrf_exempt, name="dispatch")
class OpenADRTokenView(TokenView):
    """django-oauth-toolkit's token endpoint (client credentials only), throttled per client id, every
    grant and refusal in the audit log."""

    def post(self, request: HttpRequest, *args, **kwargs):
        client_id = (request.POST.get("client_id") or "")[:128]
        if request.POST.get("grant_type") != "client_credentials":
            self._audit(request, client_id=client_id, granted=False, reason="unsupported_grant_type")
            return JsonResponse({"error": "unsupported_grant_type"}, status=400)
        key = f"openadr-token:{client_id or request.META.get('REMOTE_ADDR', '')}"
        cache.add(key, 0, timeout=60)
        if cache.incr(key) > settings.OPENADR_TOKEN_THROTTLE_PER_MINUTE:
            self._audit(request, client_id=client_id, granted=False, reason="throttled")
            return problem_response(status=429, detail="Too many token requests for this client; retry in a minute.")
        response = super().post(request, *args, **kwargs)
        reason = ""
        if response.status_code != 200:
            try:
                reason = json.loads(response.content).get("error", "")
            except ValueError:
                reason = "error"
        scope = json.loads(response.content).get("scope", "") if response.status_code == 200 else ""
        self._audit(request, client_id=client_id, granted=response.status_code == 200, reason=reason, scope=scope)
        return response

    def _audit(self, request, *, client_id: str, granted: bool, reason: str, scope: str = "") -> None:
        with transaction.atomic():
            record_event(
                action="openadr.token_granted" if granted else "openadr.token_refused",
                actor_label=client_id or "anonymous",
                object_type="oauth2_provider.application",
                object_id=client_id[:64],  # the column's size: a longer "client_id" names no client
                outcome=AuditEvent.Outcome.SUCCESS if granted else AuditEvent.Outcome.DENIED,
                request=request,
                details={"scope": scope} if granted else {"reason": reason[:64]},
            )


class NotifiersView(OpenADRView):
    required_scopes = {"GET": "read_all"}

    def get(self, request):
        return Response({"WEBHOOK": True})  # no MQTT binding: the key is left out, as the spec allows


class MqttTopicsView(OpenADRView):
    required_scopes = {"GET": "read_all"}

    def get(self, request, **kwargs):
        raise Problem(404, "This VTN has no MQTT notifier (GET /notifiers lists WEBHOOK only).")


# -- programs ----------------------------------------------------------------------------------------


class ProgramListView(OpenADRView):
    required_scopes = {"GET": "read_targets", "POST": "write_programs"}

    def get(self, request):
        skip, limit = parsers.paging(request.query_params)
        viewer = self.viewer(request, with_targets=True)
        return Response(
            [oadr.program_json(p, viewer=viewer) for p in oadr.program_list(viewer=viewer, skip=skip, limit=limit)]
        )

    def post(self, request):
        self.bl_only(request)
        program = program_actions.create_program(data=parsers.program_request(request.data), now=clock.now())
        return Response(oadr.program_json(program, viewer=self.viewer(request)), status=201)


class ProgramDetailView(OpenADRView):
    required_scopes = {"GET": "read_targets", "PUT": "write_programs", "DELETE": "write_programs"}

    def _program(self, request, program_id):
        return _found(oadr.program_for(viewer=self.viewer(request), program_id=_pk(program_id)))

    def get(self, request, program_id):
        return Response(oadr.program_json(self._program(request, program_id), viewer=self.viewer(request)))

    def put(self, request, program_id):
        self.bl_only(request)
        program = self._program(request, program_id)
        program = program_actions.update_program(
            program=program, data=parsers.program_request(request.data), now=clock.now()
        )
        return Response(oadr.program_json(program, viewer=self.viewer(request)))

    def delete(self, request, program_id):
        self.bl_only(request)
        program = self._program(request, program_id)
        body = oadr.program_json(program, viewer=self.viewer(request))
        program_actions.delete_program(program=program, now=clock.now())
        return Response(body)


# -- events ------------------------------------------------------------------------------------------


class EventListView(OpenADRView):
    required_scopes = {"GET": "read_targets", "POST": "write_events"}

    def get(self, request):
        skip, limit = parsers.paging(request.query_params)
        program_id = parsers.id_param(request.query_params, "programID")
        active = request.query_params.get("active")
        if active not in (None, "", "true", "false"):
            raise Problem(400, "active must be true or false.")
        viewer = self.viewer(request, with_targets=True)
        if program_id is not None and not program_id.isdigit():
            return Response([])
        rows = oadr.event_list(
            viewer=viewer,
            program_id=int(program_id) if program_id else None,
            active_after=clock.now() if active == "true" else None,
            skip=skip,
            limit=limit,
        )
        return Response([oadr.event_json(e, viewer=viewer) for e in rows])

    def post(self, request):
        self.bl_only(request)
        event = event_actions.create_event_over_openadr(data=parsers.event_request(request.data), now=clock.now())
        return Response(oadr.event_json(event, viewer=self.viewer(request)), status=201)


class EventDetailView(OpenADRView):
    required_scopes = {"GET": "read_targets", "PUT": "write_events", "DELETE": "write_events"}

    def _event(self, request, event_id):
        return _found(oadr.event_for(viewer=self.viewer(request), event_id=_pk(event_id)))

    def get(self, request, event_id):
        return Response(oadr.event_json(self._event(request, event_id), viewer=self.viewer(request)))

    def put(self, request, event_id):
        self.bl_only(request)
        event = event_actions.update_event_over_openadr(
            event=self._event(request, event_id), data=parsers.event_request(request.data), now=clock.now()
        )
        return Response(oadr.event_json(event, viewer=self.viewer(request)))

    def delete(self, request, event_id):
        self.bl_only(request)
        event = self._event(request, event_id)
        body = oadr.event_json(event, viewer=self.viewer(request))
        event_actions.delete_event_over_openadr(event=event, now=clock.now())
        return Response(body)


# -- reports -----------------------------------------------------------------------------------------


class ReportListView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "POST": "write_reports"}

    def get(self, request):
        skip, limit = parsers.paging(request.query_params)
        reports = oadr.visible_reports(viewer=self.viewer(request))
        for param, field in (("programID", "event__program_id"), ("eventID", "event_id")):
            value = parsers.id_param(request.query_params, param)
            if value is not None:
                reports = reports.filter(**{field: int(value)}) if value.isdigit() else reports.none()
        client_name = request.query_params.get("clientName")
        if client_name:
            reports = reports.filter(client_name=client_name)
        viewer = self.viewer(request)
        return Response([oadr.report_json(r, viewer=viewer) for r in reports[skip : skip + limit]])

    def post(self, request):
        caller = caller_of(request)
        data = parsers.report_request(request.data)
        event = _report_event(request, self, data["event_id"])
        report = report_actions.create_report(event=event, client_id=caller.client_id, data=data, now=clock.now())
        return Response(oadr.report_json(report, viewer=self.viewer(request)), status=201)


def _report_event(request, view, event_id: str):
    event = oadr.event_for(viewer=view.viewer(request), event_id=int(event_id)) if event_id.isdigit() else None
    if event is None:
        raise Problem(400, "eventID names no event this client can read.")
    return event


class ReportDetailView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "PUT": "write_reports", "DELETE": "write_reports"}

    def _report(self, request, report_id):
        return _found(oadr.visible_reports(viewer=self.viewer(request)).filter(pk=_pk(report_id)).first())

    def get(self, request, report_id):
        return Response(oadr.report_json(self._report(request, report_id), viewer=self.viewer(request)))

    def put(self, request, report_id):
        report = self._report(request, report_id)
        data = parsers.report_request(request.data)
        event = _report_event(request, self, data["event_id"])
        report = report_actions.update_report(report=report, event=event, data=data, now=clock.now())
        return Response(oadr.report_json(report, viewer=self.viewer(request)))

    def delete(self, request, report_id):
        report = self._report(request, report_id)
        body = oadr.report_json(report, viewer=self.viewer(request))
        report_actions.delete_report(report=report, now=clock.now())
        return Response(body)


# -- subscriptions -----------------------------------------------------------------------------------


class SubscriptionListView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "POST": "write_subscriptions"}

    def get(self, request):
        skip, limit = parsers.paging(request.query_params)
        viewer = self.viewer(request)
        subscriptions = oadr.visible_subscriptions(viewer=viewer)
        program_id = parsers.id_param(request.query_params, "programID")
        if program_id is not None:
            subscriptions = (
                subscriptions.filter(program_id=int(program_id)) if program_id.isdigit() else subscriptions.none()
            )
        client_name = request.query_params.get("clientName")
        if client_name:
            subscriptions = subscriptions.filter(client_name=client_name)
        rows = list(subscriptions)
        objects = [o for value in request.query_params.getlist("objects") for o in value.split(",") if o]
        if objects:
            if not set(objects) <= parsers.OBJECT_TYPES:
                raise Problem(
                    400, "objects must be object types (PROGRAM, EVENT, REPORT, SUBSCRIPTION, VEN, RESOURCE)."
                )
            rows = [s for s in rows if any(set(objects) & set(e.get("objects", [])) for e in s.object_operations)]
        return Response([oadr.subscription_json(s, viewer=viewer) for s in rows[skip : skip + limit]])

    def post(self, request):
        caller = caller_of(request)
        viewer = self.viewer(request)
        subscription = subscription_actions.create_subscription(
            client_id=caller.client_id,
            data=parsers.subscription_request(request.data),
            now=clock.now(),
            program_visible=lambda program: oadr.program_for(viewer=viewer, program_id=program.pk) is not None,
        )
        return Response(oadr.subscription_json(subscription, viewer=viewer), status=201)


class SubscriptionDetailView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "PUT": "write_subscriptions", "DELETE": "write_subscriptions"}

    def _subscription(self, request, subscription_id):
        viewer = self.viewer(request)
        return _found(oadr.visible_subscriptions(viewer=viewer).filter(pk=_pk(subscription_id)).first())

    def get(self, request, subscription_id):
        return Response(
            oadr.subscription_json(self._subscription(request, subscription_id), viewer=self.viewer(request))
        )

    def put(self, request, subscription_id):
        viewer = self.viewer(request)
        subscription = subscription_actions.update_subscription(
            subscription=self._subscription(request, subscription_id),
            data=parsers.subscription_request(request.data),
            now=clock.now(),
            program_visible=lambda program: oadr.program_for(viewer=viewer, program_id=program.pk) is not None,
        )
        return Response(oadr.subscription_json(subscription, viewer=viewer))

    def delete(self, request, subscription_id):
        subscription = self._subscription(request, subscription_id)
        body = oadr.subscription_json(subscription, viewer=self.viewer(request))
        subscription_actions.delete_subscription(subscription=subscription, now=clock.now())
        return Response(body)


# -- vens and resources ------------------------------------------------------------------------------


class VenListView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "POST": "write_vens"}

    def get(self, request):
        skip, limit = parsers.paging(request.query_params)
        viewer = self.viewer(request)
        vens = oadr.visible_vens(viewer=viewer)
        name = request.query_params.get("venName")
        if name:
            vens = vens.filter(ven_name=name)
        rows = list(vens)
        targets = parsers.targets_param(request.query_params)
        if targets:
            rows = [v for v in rows if set(v.targets or []) & set(targets)]
        return Response([oadr.ven_json(v, viewer=viewer) for v in rows[skip : skip + limit]])

    def post(self, request):
        caller = caller_of(request)
        ven = ven_actions.create_ven(
            caller_client_id=caller.client_id,
            is_bl=caller.is_bl,
            data=parsers.ven_request(request.data, is_bl=caller.is_bl),
            now=clock.now(),
        )
        return Response(oadr.ven_json(ven, viewer=self.viewer(request)), status=201)


class VenDetailView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "PUT": "write_vens", "DELETE": "write_vens"}

    def _ven(self, request, ven_id):
        return _found(oadr.visible_vens(viewer=self.viewer(request)).filter(pk=_pk(ven_id)).first())

    def get(self, request, ven_id):
        return Response(oadr.ven_json(self._ven(request, ven_id), viewer=self.viewer(request)))

    def put(self, request, ven_id):
        caller = caller_of(request)
        ven = ven_actions.update_ven(
            ven=self._ven(request, ven_id),
            is_bl=caller.is_bl,
            data=parsers.ven_request(request.data, is_bl=caller.is_bl),
            now=clock.now(),
        )
        return Response(oadr.ven_json(ven, viewer=self.viewer(request)))

    def delete(self, request, ven_id):
        ven = self._ven(request, ven_id)
        body = oadr.ven_json(ven, viewer=self.viewer(request))
        ven_actions.delete_ven(ven=ven)
        return Response(body)


class ResourceListView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "POST": "write_vens"}

    def get(self, request):
        skip, limit = parsers.paging(request.query_params)
        viewer = self.viewer(request)
        resources = oadr.visible_resources(viewer=viewer)
        name = request.query_params.get("resourceName")
        if name:
            resources = resources.filter(resource_name=name)
        ven_id = parsers.id_param(request.query_params, "venID")
        if ven_id is not None:
            resources = resources.filter(ven_id=int(ven_id)) if ven_id.isdigit() else resources.none()
        rows = list(resources)
        targets = parsers.targets_param(request.query_params)
        if targets:
            rows = [r for r in rows if set(r.targets or []) & set(targets)]
        return Response([oadr.resource_json(r, viewer=viewer) for r in rows[skip : skip + limit]])

    def post(self, request):
        caller = caller_of(request)
        resource = ven_actions.create_resource(
            caller_client_id=caller.client_id,
            is_bl=caller.is_bl,
            data=parsers.resource_request(request.data, is_bl=caller.is_bl),
            now=clock.now(),
        )
        return Response(oadr.resource_json(resource, viewer=self.viewer(request)), status=201)


class ResourceDetailView(OpenADRView):
    required_scopes = {"GET": "read_ven_objects", "PUT": "write_vens", "DELETE": "write_vens"}

    def _resource(self, request, resource_id):
        return _found(oadr.visible_resources(viewer=self.viewer(request)).filter(pk=_pk(resource_id)).first())

    def get(self, request, resource_id):
        return Response(oadr.resource_json(self._resource(request, resource_id), viewer=self.viewer(request)))

    def put(self, request, resource_id):
        caller = caller_of(request)
        resource = ven_actions.update_resource(
            resource=self._resource(request, resource_id),
            caller_client_id=caller.client_id,
            is_bl=caller.is_bl,
            data=parsers.resource_request(request.data, is_bl=caller.is_bl),
            now=clock.now(),
        )
        return Response(oadr.resource_json(resource, viewer=self.viewer(request)))

    def delete(self, request, resource_id):
        resource = self._resource(request, resource_id)
        body = oadr.resource_json(resource, viewer=self.viewer(request))
        ven_actions.delete_resource(resource=resource)
        return Response(body)


def not_found(request, path=""):
    return problem_response(status=404, detail="No such OpenADR path.")
