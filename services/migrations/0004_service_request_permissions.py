"""Service-request permissions for the staff roles: the front-line roles work requests; administrators
also set who covers which area. Analysts and auditors read the catalogue only: requests carry personal
details, and the analysts' figures come from the dashboard's aggregate reports."""

from django.db import migrations

from security import roles

CATALOGUE = ["services.view_servicetype", "services.view_workflowstep", "services.view_workflowtransition"]
READ = [
    *CATALOGUE,
    "services.view_servicerequest",
    "services.view_requeststep",
    "services.view_requestevent",
    "services.view_requestattachment",
    "services.view_scheduledaccountchange",
    "services.view_staffcoverage",
]
WORK = [*READ, "services.change_servicerequest"]
COVERAGE = ["services.add_staffcoverage", "services.change_staffcoverage", "services.delete_staffcoverage"]
GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: WORK,
    roles.FIELD_ENGINEER: WORK,
    roles.BILLING_CLERK: WORK,
    roles.MARKETING_ANALYST: CATALOGUE,
    roles.SECURITY_AUDITOR: CATALOGUE,
    roles.SYSTEM_ADMINISTRATOR: [*WORK, *COVERAGE],
}


def forwards(apps, schema_editor):
    roles.grant(apps=apps, schema_editor=schema_editor, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [("services", "0003_service_requests")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
