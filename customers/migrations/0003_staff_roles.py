"""Create the staff roles and grant them the customers and security permissions they need."""

from django.db import migrations

from security import roles

VIEW_GRID = ["customers.view_transformerarea", "customers.view_feeder"]
CUSTOMERS_GRANTS = {
    roles.CUSTOMER_SERVICE_AGENT: [
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.reveal_customer_pii",
        "customers.view_account",
        "customers.add_account",
        "customers.change_account",
        "customers.view_interaction",
        "customers.add_interaction",
        "customers.change_interaction",
        "customers.view_portalbinding",
        "customers.view_tag",
        *VIEW_GRID,
    ],
    roles.BILLING_CLERK: [
        "customers.view_customer",
        "customers.view_account",
        "customers.change_account",
        "customers.view_interaction",
        "customers.add_interaction",
        *VIEW_GRID,
    ],
    roles.FIELD_ENGINEER: [
        "customers.view_customer",
        "customers.view_account",
        "customers.change_transformerarea",
        "customers.change_feeder",
        *VIEW_GRID,
    ],
    roles.MARKETING_ANALYST: [
        "customers.view_customer",
        "customers.view_account",
        "customers.view_interaction",
        "customers.view_tag",
        "customers.add_tag",
        "customers.change_tag",
        *VIEW_GRID,
    ],
    roles.SECURITY_AUDITOR: ["customers.view_portalbinding"],
    roles.SYSTEM_ADMINISTRATOR: [
        f"customers.{action}_{model}"
        for model in (
            "customer",
            "account",
            "interaction",
            "tag",
            "transformerarea",
            "feeder",
            "portalbinding",
            "notificationpreference",
        )
        for action in ("view", "add", "change", "delete")
    ]
    + ["customers.reveal_customer_pii"],
}


def forwards(apps, schema_editor):
    grants = {role: [] for role in roles.ALL_ROLES}
    for source in (roles.SECURITY_PERMISSIONS, CUSTOMERS_GRANTS):
        for role, names in source.items():
            grants[role].extend(names)
    roles.grant(apps=apps, schema_editor=schema_editor, grants=grants)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_initial"),
        ("security", "0002_auditevent_append_only_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
