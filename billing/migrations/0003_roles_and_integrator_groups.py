"""Grant billing permissions to the staff roles, and create the head-end integrator group."""

from django.db import migrations

from security import roles

METER_HEAD_END = "integration_meter_head_end"
VIEW_READINGS = [
    "billing.view_meter",
    "billing.view_registerread",
    "billing.view_intervalreading",
    "billing.view_meterdaycompleteness",
]
INGEST = ["billing.add_ingestbatch", "billing.view_ingestbatch", "billing.view_rejectedrow"]
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: VIEW_READINGS,
    roles.BILLING_CLERK: [
        *VIEW_READINGS,
        *INGEST,
        "billing.change_meter",
        "billing.add_readingedit",
        "billing.view_readingedit",
    ],
    roles.FIELD_ENGINEER: [*VIEW_READINGS, "billing.add_meter", "billing.change_meter", "billing.view_ingestbatch"],
    roles.MARKETING_ANALYST: VIEW_READINGS,
    roles.SECURITY_AUDITOR: ["billing.view_readingedit", "billing.view_ingestbatch"],
    roles.SYSTEM_ADMINISTRATOR: [
        f"billing.{action}_{model}"
        for model in (
            "meter",
            "registerread",
            "intervalreading",
            "ingestbatch",
            "rejectedrow",
            "readingedit",
            "meterdaycompleteness",
        )
        for action in ("view", "add", "change")
    ],
    # Integrators (AMI head-ends) push meter data and read it back; nothing else.
    METER_HEAD_END: [*INGEST, *VIEW_READINGS],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_intervalreading_table"), ("customers", "0003_staff_roles")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
