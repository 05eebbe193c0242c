"""The application's own PostgreSQL role (DATABASE_APP_ROLE): not a superuser and owner of nothing it
must not change. The deployment's owner role runs migrations, then ``manage.py grant_app_role``
(docker-compose's ``migrate`` service) gives the application role what it needs and no more:

* SELECT, INSERT, UPDATE, DELETE on every table and USAGE on every sequence of the schema;
* on the audit log only SELECT, INSERT and DELETE (the trigger lets DELETE prune archived rows older
  than 183 days, nothing else); never UPDATE, TRUNCATE or TRIGGER, and it cannot disable the trigger
  since it does not own the table; audit archives: SELECT and INSERT only;
* ownership of the tables it maintains itself (DATABASE_APP_ROLE_OWNED_PREFIXES: the interval
  readings' monthly partitions, created and attached by a beat task).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection


class AppRoleMissing(Exception):
    pass


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def grant_app_role(*, role: str | None = None) -> list[str]:
    """Apply the grants above (idempotent); returns the statements run."""
    role = role or settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise AppRoleMissing(f"role {role!r} does not exist (docker-compose's init script creates it)")
        if row[0]:
            raise AppRoleMissing(f"role {role!r} is a superuser: the application must not connect as one")
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        r, s = _quote(role), _quote(schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"REVOKE UPDATE, TRUNCATE, TRIGGER, REFERENCES ON security_auditevent FROM {r}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER ON security_auditarchive FROM {r}",
        ]
        for prefix in settings.DATABASE_APP_ROLE_OWNED_PREFIXES:
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE %s ORDER BY tablename",
                [schema, prefix.replace("_", r"\_") + "%"],
            )
            statements += [f"ALTER TABLE {_quote(name)} OWNER TO {r}" for (name,) in cursor.fetchall()]
        for statement in statements:
            cursor.execute(statement)
    return statements
