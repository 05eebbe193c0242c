"""OpenADR 3.1.0 VTN (docs/openadr.md): the clients allowed to call it, VENs and their resources (bound
by staff to the accounts and meters they act for), the OpenADR-only parts of our programs and events,
VEN reports and their interval values (a separate source of interval data with its provenance — never
written into billing's meter readings), subscriptions and the webhook deliveries they cause.

Programs and events are ``DRProgram`` and ``DREvent``: ``OadrProgram`` and ``OadrEvent`` only keep
what OpenADR says about them that our model has no field for (targets, descriptors, attributes)."""

from __future__ import annotations

from typing import Final

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.fields import DecimalColumn

VALUE: Final[DecimalColumn] = {"max_digits": 16, "decimal_places": 6}


class OadrClient(models.Model):
    """One OAuth 2 client (a django-oauth-toolkit Application) of the VTN, created by staff: a BL
    (business logic: our own systems, may write programs and events) or a VEN (an aggregator or
    device gateway: reads what is targeted at it, writes reports, subscriptions, its ven/resources)."""

    class Role(models.TextChoices):
        BL = "bl", _("Business logic (BL)")
        VEN = "ven", _("Virtual end node (VEN)")

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="oadr_client",
        verbose_name=_("application"),
    )
    role = models.CharField(_("role"), max_length=4, choices=Role.choices)
    name = models.CharField(_("name"), max_length=128)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"))
    rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("OpenADR client credential")
        verbose_name_plural = _("OpenADR client credentials")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Ven(models.Model):
    """An OpenADR ven object: registered by staff (or by the VEN itself, under its own client id),
    granted targets by staff or BL only."""

    ven_name = models.CharField(_("VEN name"), max_length=128, unique=True)
    client_id = models.CharField(_("client id"), max_length=128, db_index=True)
    targets = models.JSONField(_("targets granted"), default=list, blank=True)
    attributes = models.JSONField(_("attributes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"))
    modified_at = models.DateTimeField(_("modified at"))

    class Meta:
        ordering = ["ven_name"]
        verbose_name = _("VEN registration")
        verbose_name_plural = _("VEN registrations")

    def __str__(self) -> str:
        return self.ven_name


class VenResource(models.Model):
    """A resource a VEN controls; staff bind it to the account (and meter) it stands for, and only then
    can its reports count or events reach it."""

    ven = models.ForeignKey(Ven, on_delete=models.CASCADE, related_name="resources", verbose_name=_("ven"))
    resource_name = models.CharField(_("resource name"), max_length=128)
    client_id = models.CharField(_("client id"), max_length=128, db_index=True)
    targets = models.JSONField(_("targets granted"), default=list, blank=True)
    attributes = models.JSONField(_("attributes"), default=list, blank=True)
    account = models.ForeignKey(
        "customers.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ven_resources",
        verbose_name=_("account"),
    )
    meter = models.ForeignKey(
        "billing.Meter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ven_resources",
        verbose_name=_("meter"),
    )
    created_at = models.DateTimeField(_("created at"))
    modified_at = models.DateTimeField(_("modified at"))

    class Meta:
        ordering = ["ven", "resource_name"]
        verbose_name = _("VEN resource")
        verbose_name_plural = _("VEN resources")
        constraints = [
            models.UniqueConstraint(fields=["ven", "resource_name"], name="oadr_resource_name_per_ven"),
        ]

    def __str__(self) -> str:
        return f"{self.ven.ven_name}/{self.resource_name}"


class OadrProgram(models.Model):
    """What OpenADR says about a DRProgram beyond our fields."""

    program = models.OneToOneField(
        "services.DRProgram", on_delete=models.CASCADE, related_name="openadr", verbose_name=_("program")
    )
    program_name = models.CharField(_("OpenADR program name"), max_length=128, unique=True)
    targets = models.JSONField(default=list, blank=True, verbose_name=_("targets"))
    program_descriptions = models.JSONField(null=True, blank=True, verbose_name=_("program descriptions"))
    payload_descriptors = models.JSONField(null=True, blank=True, verbose_name=_("payload descriptors"))
    attributes = models.JSONField(null=True, blank=True, verbose_name=_("attributes"))
    interval_period = models.JSONField(null=True, blank=True, verbose_name=_("interval period"))
    modified_at = models.DateTimeField(verbose_name=_("modified at"))

    class Meta:
        verbose_name = _("OpenADR program details")
        verbose_name_plural = _("OpenADR program details")

    def __str__(self) -> str:
        return self.program_name


class OadrEvent(models.Model):
    """What OpenADR says about a DREvent beyond our fields (intervals and descriptors as sent by BL)."""

    event = models.OneToOneField(
        "services.DREvent", on_delete=models.CASCADE, related_name="openadr", verbose_name=_("event")
    )
    targets = models.JSONField(default=list, blank=True, verbose_name=_("targets"))
    priority = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("priority"))
    duration = models.CharField(max_length=64, blank=True, verbose_name=_("duration"))
    payload_descriptors = models.JSONField(null=True, blank=True, verbose_name=_("payload descriptors"))
    report_descriptors = models.JSONField(null=True, blank=True, verbose_name=_("report descriptors"))
    interval_period = models.JSONField(null=True, blank=True, verbose_name=_("interval period"))
    intervals = models.JSONField(null=True, blank=True, verbose_name=_("intervals"))
    modified_at = models.DateTimeField(verbose_name=_("modified at"))

    class Meta:
        verbose_name = _("OpenADR event details")
        verbose_name_plural = _("OpenADR event details")

    def __str__(self) -> str:
        return f"OpenADR {self.event_id}"


class VenReport(models.Model):
    """A report a VEN posted for an event, as received (its body is kept for the round trip)."""

    event = models.ForeignKey(
        "services.DREvent", on_delete=models.PROTECT, related_name="ven_reports", verbose_name=_("event")
    )
    ven = models.ForeignKey(
        Ven, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports", verbose_name=_("ven")
    )
    client_id = models.CharField(_("client id"), max_length=128, db_index=True)
    client_name = models.CharField(_("client name"), max_length=128)
    report_name = models.CharField(_("report name"), max_length=256, blank=True)
    payload_descriptors = models.JSONField(null=True, blank=True, verbose_name=_("payload descriptors"))
    resources = models.JSONField(_("resources as received"), default=list)
    created_at = models.DateTimeField(_("received at"))
    modified_at = models.DateTimeField(_("modified at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("VEN report")
        verbose_name_plural = _("VEN reports")

    def __str__(self) -> str:
        return f"{self.client_name}: {self.report_name or self.pk} (event {self.event_id})"


class VenReading(models.Model):
    """One reported interval value of one resource: USAGE in kWh over the interval or DEMAND in kW
    (its average), for the account the resource is bound to. Provenance: the report (and so the VEN,
    the client id and when it arrived). Meter readings are never touched; measurement uses these only
    where the program allows VEN data and the meter has none."""

    class Kind(models.TextChoices):
        USAGE = "USAGE", _("Usage (kWh)")
        DEMAND = "DEMAND", _("Demand (kW)")

    report = models.ForeignKey(VenReport, on_delete=models.CASCADE, related_name="readings", verbose_name=_("report"))
    resource = models.ForeignKey(
        VenResource, on_delete=models.PROTECT, related_name="readings", verbose_name=_("resource")
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="ven_readings", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    interval_start = models.DateTimeField(_("interval start"))
    interval_end = models.DateTimeField(_("interval end"))
    value = models.DecimalField(_("value"), **VALUE)
    kwh = models.DecimalField(_("energy over the interval (kWh)"), **VALUE)

    class Meta:
        ordering = ["account", "interval_start"]
        verbose_name = _("VEN-reported interval")
        verbose_name_plural = _("VEN-reported intervals")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "resource", "kind", "interval_start"], name="oadr_reading_unique_in_report"
            ),
            models.CheckConstraint(condition=Q(interval_end__gt=F("interval_start")), name="oadr_reading_window"),
        ]
        indexes = [models.Index(fields=["account", "interval_start"], name="oadr_reading_account_start")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.interval_start:%Y-%m-%d %H:%M}: {self.value}"


class Subscription(models.Model):
    """A client's subscription: which objects and operations, the callback URL and its bearer token."""

    client_id = models.CharField(_("client id"), max_length=128, db_index=True)
    client_name = models.CharField(_("client name"), max_length=128)
    program = models.ForeignKey(
        "services.DRProgram",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="oadr_subscriptions",
        verbose_name=_("program"),
    )
    object_operations = models.JSONField(_("objects, operations and callbacks"), default=list)
    targets = models.JSONField(null=True, blank=True, verbose_name=_("targets"))
    created_at = models.DateTimeField(_("created at"))
    modified_at = models.DateTimeField(_("modified at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("OpenADR subscription")
        verbose_name_plural = _("OpenADR subscriptions")

    def __str__(self) -> str:
        return f"{self.client_name} #{self.pk}"


class WebhookDelivery(models.Model):
    """One notification to one callback URL, retried with exponential back-off until delivered or the
    attempts run out (then ``failed``, for staff to see); ``refused`` when the URL is not allowed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")
        REFUSED = "refused", _("Refused (URL not allowed)")

    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    client_id = models.CharField(_("client id"), max_length=128, db_index=True)
    callback_url = models.CharField(_("callback URL"), max_length=8000)
    bearer_token = models.CharField(max_length=4096, blank=True, verbose_name=_("bearer token"))
    object_type = models.CharField(_("object type"), max_length=16)
    operation = models.CharField(_("operation"), max_length=8)
    object_id = models.CharField(_("object id"), max_length=128)
    payload = models.JSONField(_("notification"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="oadr_delivery_due")]

    def __str__(self) -> str:
        return f"{self.operation} {self.object_type} {self.object_id} → {self.client_id}: {self.status}"
