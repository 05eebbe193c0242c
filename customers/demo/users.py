"""The demo users: one business-hall customer with two bound accounts, one staff user per role and a
superuser, with fixed, printed passwords — they exist only to try the system out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from customers.models import Account, PortalBinding
from security import roles
from security.models import User

DEMO_CUSTOMER_USERNAME = "c_demo"  # opaque handle: customers sign in with their phone number
DEMO_CUSTOMER_PHONE = "13800138000"
# Demo-only credentials, printed by the command on purpose; never use seed_demo on real data.
DEMO_CUSTOMER_PASSWORD = "hall-demo-2025"  # noqa: S105
DEMO_STAFF_PASSWORD = "staff-demo-2025"  # noqa: S105
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "admin-demo-2025"  # noqa: S105
ROLE_USERNAMES = {
    roles.CUSTOMER_SERVICE_AGENT: "agent",
    roles.BILLING_CLERK: "clerk",
    roles.FIELD_ENGINEER: "engineer",
    roles.MARKETING_ANALYST: "analyst",
    roles.SECURITY_AUDITOR: "auditor",
    roles.SYSTEM_ADMINISTRATOR: "sysadmin",
    roles.SECURITY_ADMINISTRATOR: "secadmin",
}


def staff_username_for(*, role: str) -> str:
    """The demo username of a role; roles added later without a short name use the role name."""
    return ROLE_USERNAMES.get(role, role)


@dataclass(frozen=True)
class DemoLogin:
    who: str
    login: str
    password: str


def demo_users_exist() -> bool:
    user_model = get_user_model()
    return user_model.objects.filter(username__in=[DEMO_CUSTOMER_USERNAME, DEMO_ADMIN_USERNAME]).exists()


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(
            who="business-hall customer",
            login=f"{DEMO_CUSTOMER_PHONE} (or {DEMO_CUSTOMER_USERNAME})",
            password=DEMO_CUSTOMER_PASSWORD,
        ),
        DemoLogin(who="superuser", login=DEMO_ADMIN_USERNAME, password=DEMO_ADMIN_PASSWORD),
    ]
    for role in roles.ALL_ROLES:
        logins.append(
            DemoLogin(
                who=f"staff: {roles.ROLE_LABELS[role]}",
                login=staff_username_for(role=role),
                password=DEMO_STAFF_PASSWORD,
            )
        )
    return logins


def create_staff_users() -> dict[str, User]:
    user_model = get_user_model()
    users: dict[str, User] = {}
    for role in roles.ALL_ROLES:
        username = staff_username_for(role=role)
        user = user_model(
            username=username,
            kind=user_model.Kind.STAFF,
            is_staff=True,
            email=f"{username}@portal.example",
            first_name=roles.ROLE_LABELS[role].split(" / ")[0],
        )
        user.set_password(DEMO_STAFF_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    admin = user_model.objects.create_superuser(
        username=DEMO_ADMIN_USERNAME,
        email="admin@portal.example",
        password=DEMO_ADMIN_PASSWORD,
        kind=user_model.Kind.STAFF,
    )
    users[DEMO_ADMIN_USERNAME] = admin
    return users


def create_demo_customer_user(*, accounts: Sequence[Account]) -> User:
    user_model = get_user_model()
    user = user_model(username=DEMO_CUSTOMER_USERNAME, kind=user_model.Kind.CUSTOMER, phone=DEMO_CUSTOMER_PHONE)
    user.set_password(DEMO_CUSTOMER_PASSWORD)
    user.save()
    PortalBinding.objects.bulk_create(
        [
            PortalBinding(user=user, account=account, role=PortalBinding.Role.OWNER, method=PortalBinding.Method.STAFF)
            for account in accounts
        ]
    )
    return user
