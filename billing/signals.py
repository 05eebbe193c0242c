"""Money and bill states in the audit log, whichever path changes them (service, admin, shell):
bill status transitions, payments (created, and each status change) and the ledger postings that
move money other than the run's own charges (payments, reversals, adjustments, credits). Bulk
statements bypass model signals: their services audit themselves (e.g. billing.services.bill_review)."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from billing.models import Bill, LedgerEntry, Payment
from security.context import current_actor
from security.models import AuditEvent
from security.services.audit import record_event

AUDITED_POSTINGS = {
    LedgerEntry.Kind.PAYMENT,
    LedgerEntry.Kind.REVERSAL,
    LedgerEntry.Kind.ADJUSTMENT,
    LedgerEntry.Kind.CREDIT,
}


def _actor():
    acting = current_actor()
    return acting.user if acting is not None else None


@receiver(pre_save, sender=Bill, dispatch_uid="billing.audit.bill_status_before")
@receiver(pre_save, sender=Payment, dispatch_uid="billing.audit.payment_status_before")
def _remember_status(sender, instance, **kwargs) -> None:
    if instance.pk is None:
        instance._status_before = None
        return
    instance._status_before = sender.objects.filter(pk=instance.pk).values_list("status", flat=True).first()


@receiver(post_save, sender=Bill, dispatch_uid="billing.audit.bill_status")
def _audit_bill_status(sender, instance: Bill, created: bool, **kwargs) -> None:
    before = getattr(instance, "_status_before", None)
    if created or before is None or before == instance.status:
        return
    record_event(
        action=AuditEvent.Action.BILL_STATUS,
        actor=_actor(),
        target=instance,
        details={"from": before, "to": instance.status, "account_id": instance.account_id},
    )


@receiver(post_save, sender=Payment, dispatch_uid="billing.audit.payment")
def _audit_payment(sender, instance: Payment, created: bool, **kwargs) -> None:
    before = getattr(instance, "_status_before", None)
    if not created and before == instance.status:
        return
    record_event(
        action=AuditEvent.Action.PAYMENT,
        actor=_actor(),
        target=instance,
        details={
            "from": None if created else before,
            "to": instance.status,
            "amount": str(instance.amount),
            "account_id": instance.account_id,
        },
    )


@receiver(post_save, sender=LedgerEntry, dispatch_uid="billing.audit.posting")
def _audit_posting(sender, instance: LedgerEntry, created: bool, **kwargs) -> None:
    if not created or instance.kind not in AUDITED_POSTINGS:
        return
    record_event(
        action=AuditEvent.Action.LEDGER_POSTING,
        actor=_actor(),
        target=instance,
        details={
            "kind": instance.kind,
            "amount": str(instance.amount),
            "account_id": instance.account_id,
            "bill_id": instance.bill_id,
            "payment_id": instance.payment_id,
        },
    )
