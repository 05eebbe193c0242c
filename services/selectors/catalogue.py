"""Reads of the service catalogue as the hall, the API and the forms show it: the types by group with
their documents, one offered type, step names and document labels in the page's language, and the
tariffs an application may choose."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from billing.models import Tariff
from services import catalogue
from services.models import ServiceType, WorkflowStep

# The catalogue's groups in the order the hall shows them.
GROUPS = ("connection", "change", "meter", "fault", "feedback", "billing")


def group_label(code: str) -> str:
    labels = {
        "connection": _("New connection"),
        "change": _("Changes to an account"),
        "meter": _("Meter"),
        "fault": _("Faults and repairs"),
        "feedback": _("Questions and complaints"),
        "billing": _("Bills and invoices"),
    }
    return labels.get(code, code)


def document_label(code: str) -> str:
    return str(catalogue.DOCUMENTS.get(code, code))


@dataclass(frozen=True)
class CatalogueEntry:
    service_type: ServiceType
    name: str
    description: str
    required_documents: list[str]
    optional_documents: list[str]


@dataclass(frozen=True)
class CatalogueGroup:
    code: str
    label: str
    entries: list[CatalogueEntry]


def catalogue_groups() -> list[CatalogueGroup]:
    by_group: dict[str, list[CatalogueEntry]] = {}
    for service_type in ServiceType.objects.filter(active=True, staff_only=False).order_by("position"):
        by_group.setdefault(service_type.group, []).append(
            CatalogueEntry(
                service_type=service_type,
                name=_(service_type.name),
                description=_(service_type.description) if service_type.description else "",
                required_documents=[document_label(code) for code in service_type.required_documents],
                optional_documents=[document_label(code) for code in service_type.optional_documents],
            )
        )
    order = [*GROUPS, *sorted(set(by_group) - set(GROUPS))]
    return [CatalogueGroup(code, group_label(code), by_group[code]) for code in order if code in by_group]


def offered_type(*, code: str) -> ServiceType | None:
    return ServiceType.objects.filter(code=code, active=True, staff_only=False).first()


def step_names(*, service_type_ids) -> dict[tuple[int, str], str]:
    """(service type id, step code) → the step's name in the page's language."""
    rows = WorkflowStep.objects.filter(service_type_id__in=set(service_type_ids)).values_list(
        "service_type_id", "code", "name"
    )
    return {(type_id, code): _(name) for type_id, code, name in rows}


def tariff_choices(*, categories) -> list[tuple[str, str]]:
    return [
        (t.code, f"{t.name} ({t.code})") for t in Tariff.objects.filter(category__in=set(categories)).order_by("code")
    ]
