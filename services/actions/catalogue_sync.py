"""Write services/catalogue.py into the ServiceType / WorkflowStep / WorkflowTransition tables.

Runs after every migrate (and after the test database is flushed), so the rows the engine reads are
always the reviewed catalogue. Idempotent: rows are matched by code and updated in place; steps and
transitions no longer in the catalogue are removed (requests keep their history by step code).
"""

from __future__ import annotations

from django.db import transaction

from services import catalogue
from services.models import ServiceType, WorkflowStep, WorkflowTransition


def _text(value) -> str:
    # Stored in the catalogue language (English source strings); pages translate them with gettext.
    return str(value)


@transaction.atomic
def sync_catalogue(*, using: str = "default") -> int:
    for position, spec in enumerate(catalogue.CATALOGUE):
        service_type, _ = ServiceType.objects.using(using).update_or_create(
            code=spec.code,
            defaults={
                "name": _text(spec.label),
                "group": spec.group,
                "description": _text(spec.description),
                "form_fields": [
                    {
                        "name": f.name,
                        "label": _text(f.label),
                        "kind": f.kind,
                        "required": f.required,
                        "choices": [[value, _text(label)] for value, label in f.choices],
                        "help": _text(f.help),
                        "pii": f.pii,
                    }
                    for f in spec.fields
                ],
                "required_documents": list(spec.documents),
                "optional_documents": list(spec.optional_documents),
                "needs_account": spec.needs_account,
                "effect": spec.effect,
                "total_sla_days": spec.total_sla_days,
                "position": position,
                "staff_only": spec.staff_only,
            },
        )
        steps = [
            *spec.steps,
            catalogue.Step(catalogue.COMPLETED, "Completed", ""),
            catalogue.Step(catalogue.REJECTED, "Rejected", ""),
            catalogue.Step(catalogue.CANCELLED, "Cancelled", ""),
        ]
        for index, step in enumerate(steps):
            WorkflowStep.objects.using(using).update_or_create(
                service_type=service_type,
                code=step.code,
                defaults={
                    "name": _text(step.label),
                    "role": step.role,
                    "sla_days": step.sla_days,
                    "sla_by_field": [step.sla_by_field[0], [list(pair) for pair in step.sla_by_field[1]]]
                    if step.sla_by_field
                    else None,
                    "records": list(step.records),
                    "terminal": step.code in catalogue.TERMINAL_STEPS,
                    "position": index,
                },
            )
        WorkflowStep.objects.using(using).filter(service_type=service_type).exclude(
            code__in=[step.code for step in steps]
        ).delete()
        for index, t in enumerate(spec.transitions):
            WorkflowTransition.objects.using(using).update_or_create(
                service_type=service_type,
                source=t.source,
                action=t.action,
                defaults={
                    "target": t.target,
                    "label": _text(t.label),
                    "roles": list(t.roles),
                    "guard": t.guard,
                    "note_required": t.note_required,
                    "position": index,
                },
            )
        keep = {(t.source, t.action) for t in spec.transitions}
        for row in WorkflowTransition.objects.using(using).filter(service_type=service_type):
            if (row.source, row.action) not in keep:
                row.delete()
    return len(catalogue.CATALOGUE)
