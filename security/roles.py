"""Staff roles (Django groups) and the permissions each holds.

Each app grants its own permissions to these roles in a data migration, so the role list lives here
while the permission codenames stay with the app that defines them.
"""

CUSTOMER_SERVICE_AGENT = "customer_service_agent"  # 营业厅坐席
BILLING_CLERK = "billing_clerk"  # 抄核收
FIELD_ENGINEER = "field_engineer"  # 装表接电
MARKETING_ANALYST = "marketing_analyst"
SECURITY_AUDITOR = "security_auditor"  # 安全审计员
SYSTEM_ADMINISTRATOR = "system_administrator"  # 系统管理员
# 安全管理员: approves privileged grants (三员分立 of 等保 2.0: system, security and audit administrators).
SECURITY_ADMINISTRATOR = "security_administrator"

ROLE_LABELS = {
    CUSTOMER_SERVICE_AGENT: "营业厅坐席 / Customer service agent",
    BILLING_CLERK: "抄核收 / Billing clerk",
    FIELD_ENGINEER: "装表接电 / Field engineer",
    MARKETING_ANALYST: "市场分析 / Marketing analyst",
    SECURITY_AUDITOR: "安全审计 / Security auditor",
    SYSTEM_ADMINISTRATOR: "系统管理员 / System administrator",
    SECURITY_ADMINISTRATOR: "安全管理员 / Security administrator",
}
# Granting one of these roles (or superuser) needs a second, different security administrator's approval.
PRIVILEGED_ROLES = (SYSTEM_ADMINISTRATOR, SECURITY_ADMINISTRATOR, SECURITY_AUDITOR)
ALL_ROLES = tuple(ROLE_LABELS)

# security's own permissions per role.
SECURITY_PERMISSIONS = {
    SECURITY_AUDITOR: ["security.view_auditevent"],
    SYSTEM_ADMINISTRATOR: [
        "security.view_auditevent",
        "security.view_user",
        "security.add_user",
        "security.change_user",
    ],
}
# Later grants live in the migration that added them (security 0003: privilege requests).


def grant(*, apps, schema_editor, grants: dict[str, list[str]]) -> None:
    """Migration helper: create the role groups if needed and add ``app_label.codename`` permissions."""
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after migrate; make sure they exist for this data migration.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    for role, names in grants.items():
        group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".", 1)
            group.permissions.add(
                Permission.objects.using(schema_editor.connection.alias).get(
                    content_type__app_label=app_label, codename=codename
                )
            )
