"""Demand-response permissions for the staff roles: marketing analysts run programs and events (and read
the results); billing clerks review and approve settlements; customer service agents enrol customers
on their behalf and withdraw them; the system administrator may do all of it."""

from django.db import migrations

from security import roles

MODELS = ["drprogram", "drprogramterms", "drenrolment", "drevent", "drparticipation", "drsettlement"]
VIEW_ALL = [f"services.view_{m}" for m in MODELS]
PROGRAMS_AND_EVENTS = [
    f"services.{verb}_{m}" for m in ("drprogram", "drprogramterms", "drevent") for verb in ("add", "change")
]
GRANTS = {
    roles.MARKETING_ANALYST: [*VIEW_ALL, *PROGRAMS_AND_EVENTS],
    roles.BILLING_CLERK: [*VIEW_ALL, "services.change_drsettlement"],
    roles.CUSTOMER_SERVICE_AGENT: [
        "services.view_drprogram",
        "services.view_drprogramterms",
        "services.view_drenrolment",
        "services.add_drenrolment",
        "services.change_drenrolment",
        "services.view_drevent",
        "services.view_drparticipation",
    ],
    roles.SYSTEM_ADMINISTRATOR: [
        *VIEW_ALL,
        *PROGRAMS_AND_EVENTS,
        "services.add_drenrolment",
        "services.change_drenrolment",
        "services.change_drsettlement",
    ],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("services", "0008_demand_response")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
