"""Sending one webhook notification, SSRF-safe: http(s) only; the host is resolved once and every
address it resolves to must be public (no private, loopback, link-local, multicast or reserved ranges)
unless settings.OPENADR_WEBHOOK_ALLOW_PRIVATE (tests, a local VEN); the connection goes to the checked
address (no second lookup to rebind), redirects are not followed, timeouts are short and at most
OPENADR_WEBHOOK_MAX_BODY_BYTES are sent or read. A failure is retried with exponential back-off
(OPENADR_WEBHOOK_BACKOFF_SECONDS × 2^(attempt−1)) until OPENADR_WEBHOOK_MAX_ATTEMPTS, then ``failed``
for staff to see in the delivery log."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction

from services.models import WebhookDelivery


class UrlRefused(Exception):
    pass


def check_callback_url(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, addresses) of an allowed callback URL, or UrlRefused with the reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("only http and https callback URLs are allowed")
    if not parts.hostname:
        raise UrlRefused("the callback URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in the callback URL are not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UrlRefused("the callback URL has an invalid port") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused("the callback host does not resolve") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not settings.OPENADR_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast or ip.is_reserved:
                raise UrlRefused("the callback host resolves to a private, loopback or link-local address")
    return parts.scheme, parts.hostname, port, addresses


def literal_address_refused(url: str) -> str | None:
    """At subscription time: the reason a URL can never be called (scheme, or a literal private IP)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "callbackUrl must be an http or https URL with a host."
    if settings.OPENADR_WEBHOOK_ALLOW_PRIVATE:
        return None
    try:
        ip = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return None if parts.hostname not in ("localhost",) else "callbackUrl must not point at this server."
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return "callbackUrl must not be a private, loopback or link-local address."
    return None


def _post(*, url: str, body: bytes, bearer_token: str) -> tuple[int, bytes]:
    scheme, host, port, addresses = check_callback_url(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(
        connect=settings.OPENADR_WEBHOOK_TIMEOUT_SECONDS, read=settings.OPENADR_WEBHOOK_TIMEOUT_SECONDS
    )
    host_header = host if port in (80, 443) else f"{host}:{port}"
    headers = {"Content-Type": "application/json", "Host": host_header, "User-Agent": "marketing-portal-vtn/1"}
    if bearer_token:
        headers["Authorization"] = f"Bearer {bearer_token}"
    pool: urllib3.HTTPConnectionPool
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            addresses[0], port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(addresses[0], port, timeout=timeout, retries=False)
    try:
        response = pool.urlopen(
            "POST", path, body=body, headers=headers, redirect=False, preload_content=False, assert_same_host=False
        )
        content = response.read(settings.OPENADR_WEBHOOK_MAX_BODY_BYTES)
        response.release_conn()
        return response.status, content
    finally:
        pool.close()


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.OPENADR_WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def deliver_webhook(*, delivery_id: int, now: dt.datetime) -> WebhookDelivery:
    """One attempt (if the delivery is still due): delivered on a 2xx, else retried later or given up."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(skip_locked=True).filter(pk=delivery_id).first()
        if delivery is None or delivery.status not in (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING):
            return delivery or WebhookDelivery.objects.get(pk=delivery_id)
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = now
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        try:
            if len(body) > settings.OPENADR_WEBHOOK_MAX_BODY_BYTES:
                raise UrlRefused("the notification is larger than the size limit")
            status, _content = _post(url=delivery.callback_url, body=body, bearer_token=delivery.bearer_token)
        except UrlRefused as refused:
            delivery.status, delivery.last_error, delivery.next_attempt_at = (
                WebhookDelivery.Status.REFUSED, str(refused)[:500], None,
            )  # fmt: skip
        except (urllib3.exceptions.HTTPError, OSError) as error:
            _failed(delivery, error=f"{type(error).__name__}: {error}", now=now)
        else:
            delivery.last_status_code = status
            if 200 <= status < 300:
                delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                    WebhookDelivery.Status.DELIVERED, now, None,
                )  # fmt: skip
                delivery.last_error = ""
            else:
                _failed(delivery, error=f"HTTP {status}", now=now)
        delivery.save()
    return delivery


def _failed(delivery: WebhookDelivery, *, error: str, now: dt.datetime) -> None:
    delivery.last_error = error[:500]
    if delivery.attempts >= settings.OPENADR_WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.RETRYING, now + backoff(delivery.attempts)


def due_deliveries(*, now: dt.datetime, limit: int = 200) -> list[int]:
    """Retries whose time has come (the beat's sweep sends each through the delivery task)."""
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RETRYING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def retry_due_webhooks(*, now: dt.datetime) -> int:
    """The beat's sweep: one more attempt of every retry whose time has come."""
    return sum(
        deliver_webhook(delivery_id=pk, now=now).status == WebhookDelivery.Status.DELIVERED
        for pk in due_deliveries(now=now)
    )


def retry_now(*, delivery_ids: list[int], now: dt.datetime) -> int:
    """Staff: deliveries that failed (or wait) get one more attempt at once, with a fresh count."""
    ids = list(
        WebhookDelivery.objects.filter(
            pk__in=delivery_ids,
            status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.RETRYING, WebhookDelivery.Status.REFUSED],
        ).values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.Status.RETRYING, attempts=0, next_attempt_at=now
    )
    return sum(deliver_webhook(delivery_id=pk, now=now).status == WebhookDelivery.Status.DELIVERED for pk in ids)
