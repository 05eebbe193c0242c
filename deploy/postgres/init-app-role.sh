#!/bin/sh
# Runs once, when the postgres container initialises its data directory (docker-entrypoint-initdb.d).
# Creates the application's own role: it can log in and use the database, but is no superuser, owns
# no table it must not change, and gets its table grants from `manage.py grant_app_role`, which the
# migrate service runs (as the owner, POSTGRES_USER) after every migration.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_role="${APP_DB_USER:-portal_app}" -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_role";
GRANT USAGE, CREATE ON SCHEMA public TO :"app_role";
SQL
