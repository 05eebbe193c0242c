"""The service catalogue (业务目录): every request type with its form, required documents and workflow.

This module is the reviewed, versioned source of the catalogue. ``sync_catalogue`` writes it into the
ServiceType / WorkflowStep / WorkflowTransition tables after every migrate; the workflow engine
(services/actions/requests.py) runs on those rows, and staff read them in the admin. Changing a
workflow means changing the data below, never an if-statement in the engine.

Roles are the staff groups of security/roles.py plus ``APPLICANT``: the portal user who filed the request.
Time limits are in working days of the mainland calendar (see services/sla.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from security import roles

APPLICANT = "applicant"

# Steps every workflow shares.
SUBMITTED = "submitted"
RETURNED = "returned"
COMPLETED = "completed"
REJECTED = "rejected"
CANCELLED = "cancelled"
TERMINAL_STEPS = (COMPLETED, REJECTED, CANCELLED)

CSA = roles.CUSTOMER_SERVICE_AGENT
CLERK = roles.BILLING_CLERK
ENGINEER = roles.FIELD_ENGINEER

DOCUMENTS = {
    "id_card": _("ID card of the applicant (身份证)"),
    "property_certificate": _("Property certificate or tenancy contract (房产证明)"),
    "business_licence": _("Business licence (营业执照)"),
    "authorization_letter": _("Letter of authorisation for an agent (授权委托书)"),
    "load_list": _("List of electrical load (用电设备清单)"),
    "new_owner_id": _("ID of the new owner (新户主身份证明)"),
    "transfer_proof": _("Proof of transfer of the property (过户证明)"),
    "fault_photo": _("Photo of the fault (故障照片)"),
    "tax_registration": _("Tax registration details for the invoice (开票信息)"),
}


@dataclass(frozen=True)
class FormField:
    """One field of a request form. ``kind``: text, textarea, decimal, date, choice, tariff, phone, id_number.
    ``pii`` fields are kept in the encrypted part of the request."""

    name: str
    label: StrOrPromise
    kind: str = "text"
    required: bool = True
    choices: tuple[tuple[str, StrOrPromise], ...] = ()
    help: StrOrPromise = ""
    pii: bool = False


@dataclass(frozen=True)
class Step:
    """A state of the workflow where someone (``role``) must act. ``sla_days`` is the time limit in
    working days from the moment the step starts; ``sla_by_field`` overrides it from a form answer
    (e.g. dual-source supply plans get 30 days). ``records`` are values the actor must record when
    finishing the step (e.g. the installed meter)."""

    code: str
    label: StrOrPromise
    role: str
    sla_days: int | None = None
    sla_by_field: tuple[str, tuple[tuple[str, int], ...]] | None = None
    records: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    label: StrOrPromise
    roles: tuple[str, ...]
    guard: str = ""
    note_required: bool = False


@dataclass(frozen=True)
class ServiceTypeSpec:
    code: str
    label: StrOrPromise
    group: str
    description: StrOrPromise
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    fields: tuple[FormField, ...] = ()
    documents: tuple[str, ...] = ()
    optional_documents: tuple[str, ...] = ()
    needs_account: bool = True
    effect: str = ""
    total_sla_days: int | None = None
    handler_role: str = CSA
    # Filed by staff only (not offered in the business hall), e.g. an inspection from the line-loss list.
    staff_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# --- building blocks --------------------------------------------------------------------------------

# What a staff member must record when finishing a step, with its label.
RECORDS = {
    "meter_no": _("Installed meter number"),
    "meter_multiplier": _("Meter multiplier (CT × PT)"),
    "meter_installed_at": _("Installed and energised at"),
    "supply_plan": _("Supply plan reference"),
    "test_result": _("Meter test result"),
    "invoice_no": _("Invoice number"),
    "final_reading": _("Final register reading (kWh)"),
    "answer": _("Answer to the customer"),
    "area_code": _("Transformer area code"),
    "finding": _("Inspection finding"),
}


def _flow(
    *, first_step_role: str, steps: tuple[Step, ...], returnable: tuple[str, ...] = (), rejectable: tuple[str, ...] = ()
) -> tuple[Transition, ...]:
    """The usual shape: the agent accepts (受理) a submitted request into the first work step, each work
    step advances to the next, the last one completes. Agents may return a request for more information
    or reject it where that makes sense; the applicant cancels before acceptance and resubmits a
    returned request."""
    codes = [step.code for step in steps]
    result = [
        Transition(SUBMITTED, codes[0], "accept", _("Accept (受理)"), (first_step_role,), guard="documents_complete"),
        Transition(SUBMITTED, RETURNED, "return", _("Return for more information"), (CSA,), note_required=True),
        Transition(SUBMITTED, REJECTED, "reject", _("Reject"), (CSA,), note_required=True),
        Transition(SUBMITTED, CANCELLED, "cancel", _("Cancel"), (APPLICANT,)),
        Transition(RETURNED, SUBMITTED, "resubmit", _("Resubmit"), (APPLICANT,)),
        Transition(RETURNED, CANCELLED, "cancel", _("Cancel"), (APPLICANT,)),
    ]
    for step, following in zip(steps, [*codes[1:], COMPLETED], strict=True):
        guard = "records_present" if step.records else ""
        label = _("Complete") if following == COMPLETED else _("Finish step")
        result.append(Transition(step.code, following, "advance", label, (step.role,), guard=guard))
        if step.code in returnable:
            result.append(
                Transition(
                    step.code, RETURNED, "return", _("Return for more information"), (step.role,), note_required=True
                )
            )
        if step.code in rejectable:
            result.append(Transition(step.code, REJECTED, "reject", _("Reject"), (step.role,), note_required=True))
    return tuple(result)


ACCEPTANCE = Step(SUBMITTED, _("Submitted, awaiting acceptance"), CSA, sla_days=1)
RETURNED_STEP = Step(RETURNED, _("Returned for more information"), APPLICANT)

EFFECTIVE_ON = FormField("effective_on", _("Effective from"), "date", help=_("The first day the change applies."))
REASON = FormField("reason", _("Reason"), "textarea", required=False)
CONTACT_PHONE = FormField("contact_phone", _("Contact mobile number"), "phone", pii=True)
SITE_ADDRESS = FormField("site_address", _("Address of the premises"), "textarea", pii=True)
APPLICANT_NAME = FormField("applicant_name", _("Name of the account holder"), "text", pii=True)
APPLICANT_ID = FormField("applicant_id_number", _("ID number / unified social credit code"), "id_number", pii=True)
POWER_SOURCE = FormField(
    "power_source",
    _("Power supply"),
    "choice",
    choices=(("single", _("Single source")), ("dual", _("Dual source (backup supply)"))),
)


def _new_connection_fields(
    *,
    voltage_choices: tuple[tuple[str, StrOrPromise], ...],
    category_choices: tuple[tuple[str, StrOrPromise], ...],
    extra: tuple[FormField, ...] = (),
) -> tuple[FormField, ...]:
    return (
        APPLICANT_NAME,
        APPLICANT_ID,
        CONTACT_PHONE,
        SITE_ADDRESS,
        FormField("area_code", _("Transformer area (if known)"), "area", required=False),
        FormField("category", _("Use"), "choice", choices=category_choices),
        FormField("voltage_level", _("Supply voltage"), "choice", choices=voltage_choices),
        FormField("requested_kva", _("Requested capacity (kVA)"), "decimal"),
        *extra,
    )


RESIDENTIAL_NEW = ServiceTypeSpec(
    code="res_new_connection",
    label=_("Residential new connection (居民新装)"),
    group="connection",
    description=_("Electricity supply for a new home. Completed within 5 working days of acceptance."),
    needs_account=False,
    effect="create_account",
    total_sla_days=5,
    fields=_new_connection_fields(
        voltage_choices=(("220V", _("220 V single-phase")), ("380V", _("380 V three-phase"))),
        category_choices=(("residential", _("Residential")),),
    ),
    documents=("id_card", "property_certificate"),
    optional_documents=("authorization_letter",),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("site_survey", _("Site survey (现场勘查)"), ENGINEER, sla_days=2, records=("area_code",)),
        Step(
            "meter_installation",
            _("Meter installation and energising (装表接电)"),
            ENGINEER,
            sla_days=2,
            records=("meter_no", "meter_installed_at"),
        ),
    ),
    transitions=(),
)

NON_RES_CATEGORIES = (
    ("commercial", _("Commercial")),
    ("industrial", _("Industrial")),
    ("agricultural", _("Agricultural")),
)

LV_NEW = ServiceTypeSpec(
    code="lv_new_connection",
    label=_("Low-voltage non-residential new connection (低压非居民新装)"),
    group="connection",
    description=_("Low-voltage (380 V / 220 V) supply for a shop, office, farm or small workshop."),
    needs_account=False,
    effect="create_account",
    total_sla_days=15,
    fields=_new_connection_fields(
        voltage_choices=(("380V", _("380 V three-phase")), ("220V", _("220 V single-phase"))),
        category_choices=NON_RES_CATEGORIES,
    ),
    documents=("id_card", "business_licence", "property_certificate"),
    optional_documents=("authorization_letter", "load_list"),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("site_survey", _("Site survey (现场勘查)"), ENGINEER, sla_days=3, records=("area_code",)),
        Step("supply_plan", _("Supply plan (供电方案答复)"), ENGINEER, sla_days=5, records=("supply_plan",)),
        Step(
            "meter_installation",
            _("Meter installation and energising (装表接电)"),
            ENGINEER,
            sla_days=5,
            records=("meter_no", "meter_multiplier", "meter_installed_at"),
        ),
    ),
    transitions=(),
)

HV_NEW = ServiceTypeSpec(
    code="hv_new_connection",
    label=_("High-voltage new connection (高压新装)"),
    group="connection",
    description=_("10 kV and above supply for a factory, building or large site."),
    needs_account=False,
    effect="create_account",
    fields=_new_connection_fields(
        voltage_choices=(("10kV", _("10 kV")), ("35kV", _("35 kV")), ("110kV", _("110 kV"))),
        category_choices=NON_RES_CATEGORIES,
        extra=(POWER_SOURCE,),
    ),
    documents=("id_card", "business_licence", "property_certificate", "load_list"),
    optional_documents=("authorization_letter",),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("site_survey", _("Site survey (现场勘查)"), ENGINEER, sla_days=5, records=("area_code",)),
        Step(
            "supply_plan",
            _("Supply plan (供电方案答复)"),
            ENGINEER,
            sla_days=15,
            sla_by_field=("power_source", (("dual", 30),)),
            records=("supply_plan",),
        ),
        Step("design_review", _("Design review (设计审查)"), ENGINEER, sla_days=10),
        Step("construction", _("Customer construction (工程施工)"), CSA),
        Step("completion_inspection", _("Completion inspection (竣工检验)"), ENGINEER, sla_days=5),
        Step(
            "meter_installation",
            _("Meter installation and energising (装表接电)"),
            ENGINEER,
            sla_days=5,
            records=("meter_no", "meter_multiplier", "meter_installed_at"),
        ),
    ),
    transitions=(),
)

CAPACITY_INCREASE = ServiceTypeSpec(
    code="capacity_increase",
    label=_("Capacity increase (增容)"),
    group="change",
    description=_("Raise the contracted capacity of an existing account."),
    effect="change_capacity",
    fields=(FormField("new_kva", _("New contracted capacity (kVA)"), "decimal"), EFFECTIVE_ON, REASON, CONTACT_PHONE),
    documents=("id_card", "load_list"),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("site_survey", _("Site survey (现场勘查)"), ENGINEER, sla_days=3),
        Step("supply_plan", _("Supply plan (供电方案答复)"), ENGINEER, sla_days=15, records=("supply_plan",)),
        Step("meter_installation", _("Meter change and energising"), ENGINEER, sla_days=5),
    ),
    transitions=(),
)

CAPACITY_REDUCTION = ServiceTypeSpec(
    code="capacity_reduction",
    label=_("Capacity reduction (减容)"),
    group="change",
    description=_("Lower the contracted capacity, for at least six months."),
    effect="change_capacity",
    fields=(FormField("new_kva", _("New contracted capacity (kVA)"), "decimal"), EFFECTIVE_ON, REASON, CONTACT_PHONE),
    documents=("id_card",),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("site_survey", _("Site work: seal the disconnected equipment"), ENGINEER, sla_days=5),
    ),
    transitions=(),
)

PAUSE = ServiceTypeSpec(
    code="pause",
    label=_("Pause (暂停)"),
    group="change",
    description=_("Pause the supply of a transformer for a period; the capacity charge stops while paused."),
    effect="pause",
    fields=(EFFECTIVE_ON, FormField("pause_until", _("Resume on"), "date"), REASON, CONTACT_PHONE),
    documents=("id_card",),
    steps=(ACCEPTANCE, RETURNED_STEP, Step("site_survey", _("Site work: seal the transformer"), ENGINEER, sla_days=5)),
    transitions=(),
)

TARIFF_CHANGE = ServiceTypeSpec(
    code="tariff_change",
    label=_("Tariff category change (改类)"),
    group="change",
    description=_("Move the account to another tariff its category allows, e.g. time-of-use."),
    effect="change_tariff",
    fields=(FormField("new_tariff", _("New tariff"), "tariff"), EFFECTIVE_ON, REASON),
    documents=("id_card",),
    steps=(ACCEPTANCE, RETURNED_STEP, Step("review", _("Billing review (审核)"), CLERK, sla_days=5)),
    transitions=(),
)

TRANSFER = ServiceTypeSpec(
    code="transfer",
    label=_("Name change / owner transfer (更名 / 过户)"),
    group="change",
    description=_("Change the name on the account, or move the account to a new owner."),
    effect="transfer",
    fields=(
        FormField(
            "transfer_kind",
            _("What changes"),
            "choice",
            choices=(("name_change", _("Name change (更名)")), ("owner_transfer", _("New owner (过户)"))),
        ),
        FormField("new_name", _("New account holder's name"), "text", pii=True),
        FormField("new_id_number", _("New holder's ID number / credit code"), "id_number", pii=True, required=False),
        FormField("new_phone", _("New holder's mobile number"), "phone", pii=True, required=False),
    ),
    documents=("id_card", "new_owner_id", "transfer_proof"),
    steps=(ACCEPTANCE, RETURNED_STEP, Step("review", _("Billing review (审核)"), CLERK, sla_days=3)),
    transitions=(),
)

CLOSURE = ServiceTypeSpec(
    code="closure",
    label=_("Account closure (销户)"),
    group="change",
    description=_("Close the account: final meter reading, final bill and removal of the meter."),
    effect="close_account",
    fields=(EFFECTIVE_ON, REASON, CONTACT_PHONE),
    documents=("id_card",),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step(
            "final_reading",
            _("Final reading and meter removal (拆表)"),
            ENGINEER,
            sla_days=3,
            records=("final_reading",),
        ),
        Step("settlement", _("Final bill and settlement (结清)"), CLERK, sla_days=3),
    ),
    transitions=(),
)

METER_CHECK = ServiceTypeSpec(
    code="meter_check",
    label=_("Meter accuracy check (校表)"),
    group="meter",
    description=_("Ask for your meter to be tested if you believe it runs fast or slow."),
    fields=(REASON, CONTACT_PHONE),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("meter_test", _("Meter test (校验)"), ENGINEER, sla_days=5, records=("test_result",)),
    ),
    transitions=(),
)

FAULT_REPAIR = ServiceTypeSpec(
    code="fault_repair",
    label=_("Fault repair (故障报修)"),
    group="fault",
    description=_("No power, sparks, a damaged meter box or line: report it and an engineer comes."),
    needs_account=False,
    fields=(
        FormField("fault_address", _("Where is the fault"), "textarea", pii=True),
        FormField("description", _("What happened"), "textarea"),
        CONTACT_PHONE,
    ),
    optional_documents=("fault_photo",),
    steps=(
        Step(SUBMITTED, _("Reported, awaiting dispatch"), CSA, sla_days=1),
        RETURNED_STEP,
        Step("on_site", _("Engineer on site (抢修)"), ENGINEER, sla_days=1),
    ),
    transitions=(),
)

COMPLAINT = ServiceTypeSpec(
    code="complaint",
    label=_("Complaint (投诉)"),
    group="feedback",
    description=_("Tell us what went wrong; a supervisor investigates and replies."),
    needs_account=False,
    fields=(
        FormField("subject", _("Subject"), "text"),
        FormField("description", _("Details"), "textarea"),
        CONTACT_PHONE,
    ),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("investigation", _("Investigation (调查处理)"), CSA, sla_days=5),
        Step("reply", _("Reply to the customer (回复)"), CSA, sla_days=1, records=("answer",)),
    ),
    transitions=(),
)

CONSULTATION = ServiceTypeSpec(
    code="consultation",
    label=_("Consultation (咨询)"),
    group="feedback",
    description=_("Ask a question about your supply, bill or an application."),
    needs_account=False,
    fields=(FormField("question", _("Your question"), "textarea"),),
    steps=(ACCEPTANCE, RETURNED_STEP, Step("answering", _("Answering (答复)"), CSA, sla_days=1, records=("answer",))),
    transitions=(),
)

INVOICE = ServiceTypeSpec(
    code="invoice_request",
    label=_("Invoice request (发票申请)"),
    group="billing",
    description=_("Ask for a VAT invoice for paid electricity bills."),
    fields=(
        FormField("invoice_title", _("Invoice title (抬头)"), "text"),
        FormField("tax_number", _("Taxpayer number"), "text", required=False),
        FormField("period", _("Bills to invoice (e.g. 2026-01 to 2026-06)"), "text"),
    ),
    optional_documents=("tax_registration",),
    steps=(
        ACCEPTANCE,
        RETURNED_STEP,
        Step("invoicing", _("Invoicing (开票)"), CLERK, sla_days=3, records=("invoice_no",)),
    ),
    transitions=(),
)


INSPECTION = ServiceTypeSpec(
    code="inspection",
    label=_("Site inspection (用电检查)"),
    group="inspection",
    description=_("Check a meter and its wiring on site: suspected bypass, stopped meter or theft."),
    staff_only=True,
    fields=(
        FormField("reason", _("Why inspect"), "textarea"),
        FormField("evidence", _("Evidence"), "textarea", required=False),
    ),
    steps=(
        Step(SUBMITTED, _("Opened, awaiting dispatch"), CSA, sla_days=1),
        RETURNED_STEP,
        Step("on_site", _("On-site inspection (现场检查)"), ENGINEER, sla_days=5, records=("finding",)),
    ),
    transitions=(),
)


def _with_flow(spec: ServiceTypeSpec) -> ServiceTypeSpec:
    work = tuple(step for step in spec.steps if step.code not in (SUBMITTED, RETURNED))
    returnable = tuple(step.code for step in work[:1] if step.role != APPLICANT)
    rejectable = tuple(step.code for step in work[:2])
    transitions = _flow(first_step_role=CSA, steps=work, returnable=returnable, rejectable=rejectable)
    if spec.code == "hv_new_connection":
        # The customer's own construction can be declared finished by the customer or the agent.
        transitions = tuple(
            Transition(t.source, t.target, t.action, t.label, (CSA, APPLICANT), t.guard, t.note_required)
            if t.source == "construction" and t.action == "advance"
            else t
            for t in transitions
        )
    return ServiceTypeSpec(**{**spec.__dict__, "transitions": transitions})


CATALOGUE: tuple[ServiceTypeSpec, ...] = tuple(
    _with_flow(spec)
    for spec in (
        RESIDENTIAL_NEW,
        LV_NEW,
        HV_NEW,
        CAPACITY_INCREASE,
        CAPACITY_REDUCTION,
        PAUSE,
        TARIFF_CHANGE,
        TRANSFER,
        CLOSURE,
        METER_CHECK,
        FAULT_REPAIR,
        COMPLAINT,
        CONSULTATION,
        INVOICE,
        INSPECTION,
    )
)
