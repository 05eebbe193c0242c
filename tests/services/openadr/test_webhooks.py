"""Subscriptions and webhooks: a staff dispatch reaches the subscribed VEN (and not the other), with the
bearer token and the spec's notification body; failures back off exponentially and give up after the
bounded attempts; private addresses are refused in production settings."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings
from openapi_core.validation.schemas import oas30_read_schema_validators_factory

from services.actions.demand_response.events import cancel_event
from services.actions.openadr.webhook import UrlRefused, check_callback_url, deliver_webhook, retry_due_webhooks
from services.models import WebhookDelivery
from tests.services.openadr.conftest import event_for, spec
from tests.services.openadr.test_protocol import subscription_body

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


class Receiver:
    """A local HTTP endpoint answering ``status`` and recording what it got (bounded: test-local)."""

    def __init__(self, status: int = 200) -> None:
        self.status, self.received = status, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_dispatched_event_reaches_the_subscribed_ven_only(world, vtn, tokens, django_capture_on_commit_callbacks):
    with Receiver() as hook_a, Receiver() as hook_b:
        body_a = subscription_body(hook_a.url)
        body_a["objectOperations"][0]["bearerToken"] = "secret-a"
        assert vtn.post("/subscriptions", body_a, token=tokens["a"]).status_code == 201
        assert vtn.post("/subscriptions", subscription_body(hook_b.url), token=tokens["b"]).status_code == 201
        with django_capture_on_commit_callbacks(execute=True):
            event = event_for(world.program, world.account_a, name="new for A", hour=10)
        assert len(hook_b.received) == 0  # B's resources are not targeted
        ((authorization, notification),) = hook_a.received
    assert authorization == "Bearer secret-a"
    assert (notification["objectType"], notification["operation"]) == ("EVENT", "CREATE")
    assert notification["object"]["id"] == str(event.pk)
    assert notification["object"]["targets"] == [f"account:{world.account_a.number}"]
    # The body is the spec's notification object, its object the spec's event.
    schema = spec().spec / "components" / "schemas" / "notification"
    oas30_read_schema_validators_factory.create(spec().spec, schema).validate(notification)
    delivery = WebhookDelivery.objects.get(client_id=world.ven_a.client_id, object_id=str(event.pk))
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_cancelling_an_event_notifies_delete(world, vtn, tokens, django_capture_on_commit_callbacks):
    with Receiver() as hook:
        body = subscription_body(hook.url)
        body["objectOperations"][0]["operations"] = ["DELETE"]
        vtn.post("/subscriptions", body, token=tokens["a"])
        with django_capture_on_commit_callbacks(execute=True):
            cancel_event(event=world.event_a, reason="weather", user=None, now=world.event_a.created_at)
        ((_auth, notification),) = hook.received
    assert (notification["operation"], notification["object"]["id"]) == ("DELETE", str(world.event_a.pk))


def test_failures_back_off_exponentially_then_give_up(world, vtn, tokens, django_capture_on_commit_callbacks):
    with (
        Receiver(status=503) as hook,
        override_settings(OPENADR_WEBHOOK_MAX_ATTEMPTS=3, OPENADR_WEBHOOK_BACKOFF_SECONDS=30),
    ):
        vtn.post("/subscriptions", subscription_body(hook.url), token=tokens["a"])
        with django_capture_on_commit_callbacks(execute=True):
            event_for(world.program, world.account_a, name="unlucky", hour=10)
        delivery = WebhookDelivery.objects.get(client_id=world.ven_a.client_id)
        first = delivery.last_attempt_at
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("retrying", 1, "HTTP 503")
        assert delivery.next_attempt_at == first + dt.timedelta(seconds=30)  # 30 s × 2⁰
        # Not due yet: the sweep leaves it alone.
        assert retry_due_webhooks(now=first + dt.timedelta(seconds=29)) == 0
        assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1
        second = deliver_webhook(delivery_id=delivery.pk, now=first + dt.timedelta(seconds=30))
        assert (second.status, second.attempts) == ("retrying", 2)
        assert second.next_attempt_at == first + dt.timedelta(seconds=30 + 60)  # 30 s × 2¹
        third = deliver_webhook(delivery_id=delivery.pk, now=first + dt.timedelta(seconds=90))
        assert (third.status, third.attempts, third.next_attempt_at) == ("failed", 3, None)
        assert deliver_webhook(delivery_id=delivery.pk, now=first + dt.timedelta(hours=1)).attempts == 3
        assert len(hook.received) == 3


def test_an_unreachable_callback_is_retried(world, vtn, tokens, django_capture_on_commit_callbacks):
    with Receiver() as hook:
        url = hook.url
    vtn.post("/subscriptions", subscription_body(url), token=tokens["a"])  # the receiver is gone now
    with django_capture_on_commit_callbacks(execute=True):
        event_for(world.program, world.account_a, name="nobody home", hour=10)
    delivery = WebhookDelivery.objects.get(client_id=world.ven_a.client_id)
    assert delivery.status == "retrying" and "Error" in delivery.last_error


def test_private_addresses_are_refused_in_production(world, vtn, tokens, django_capture_on_commit_callbacks):
    with Receiver() as hook:
        vtn.post("/subscriptions", subscription_body(hook.url.replace("127.0.0.1", "localhost")), token=tokens["a"])
        with (
            override_settings(OPENADR_WEBHOOK_ALLOW_PRIVATE=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            event_for(world.program, world.account_a, name="ssrf", hour=10)
        assert hook.received == []  # nothing was sent
    delivery = WebhookDelivery.objects.get(client_id=world.ven_a.client_id)
    assert delivery.status == "refused"
    assert "private, loopback or link-local" in delivery.last_error


@override_settings(OPENADR_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[fe80::1]/x",
    ],
)
def test_the_url_check_refuses_what_can_be_abused(url):
    with pytest.raises(UrlRefused):
        check_callback_url(url)


def test_the_retry_sweep_is_on_the_beat_and_its_task_sends_due_retries(
    world, vtn, tokens, django_capture_on_commit_callbacks
):
    from django.conf import settings

    from services.tasks import openadr_retry_webhooks_task

    entry = settings.CELERY_BEAT_SCHEDULE["services.openadr_retry_webhooks"]
    assert (entry["task"], entry["schedule"], entry["options"]["queue"]) == (
        "services.openadr_retry_webhooks",
        30,
        "notify",
    )
    with Receiver(status=500) as hook:
        vtn.post("/subscriptions", subscription_body(hook.url), token=tokens["a"])
        with django_capture_on_commit_callbacks(execute=True):
            event_for(world.program, world.account_a, name="sweep", hour=10)
        delivery = WebhookDelivery.objects.get(client_id=world.ven_a.client_id)
        assert delivery.status == "retrying"
        hook.status = 200
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.last_attempt_at)
        assert openadr_retry_webhooks_task.apply().get() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
