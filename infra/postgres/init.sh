#!/usr/bin/env bash
# Provisioning for the postgres:15 image (mounted into /docker-entrypoint-initdb.d, so it runs
# once, when the data volume is empty). Same result as `node packages/db/dist/cli.js provision`:
#   database $VIGIL_DB (default vigil); per service a login role vigil_<svc> with the password
#   from VIGIL_DB_PASSWORD_<SVC> (left without one when unset), owning schema <svc>; PUBLIC loses
#   its defaults on schema public, on the database and on every service schema, so no service can
#   read another's tables.
# Idempotent: safe to run again by hand, e.g.
#   docker compose exec -e VIGIL_DB_PASSWORD_INCIDENT=... postgres bash /docker-entrypoint-initdb.d/10-vigil.sh
# Works both sourced (the image sources non-executable *.sh) and executed; the shell options are
# set in a subshell so that a sourcing entrypoint keeps its own.

vigil_provision() {
  local db="${VIGIL_DB:-vigil}" svc role var pw
  local services=(gateway ingest detection incident notification reporting)
  local psql=(psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}")

  case "$db" in *[!a-z0-9_]* | "" | [0-9]*) echo "init.sh: VIGIL_DB=$db is not a plain identifier" >&2; return 1 ;; esac

  "${psql[@]}" --dbname "${POSTGRES_DB:-postgres}" -v db="$db" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL

  for svc in "${services[@]}"; do
    role="vigil_$svc"
    var="VIGIL_DB_PASSWORD_$(printf '%s' "$svc" | tr '[:lower:]' '[:upper:]')"
    pw="${!var:-}"
    [[ -n "$pw" ]] || echo "init.sh: $var is empty; $role gets no password (it can only log in where pg_hba trusts it)" >&2
    "${psql[@]}" --dbname "${POSTGRES_DB:-postgres}" -v role="$role" -v pw="$pw" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'pw')
 WHERE :'pw' <> ''
\gexec
SQL
  done

  {
    echo 'SET client_min_messages = warning;'
    echo 'REVOKE ALL ON SCHEMA public FROM PUBLIC;'
    echo "REVOKE ALL ON DATABASE $db FROM PUBLIC;"
    for svc in "${services[@]}"; do
      echo "GRANT CONNECT, TEMPORARY ON DATABASE $db TO vigil_$svc;"
      echo "CREATE SCHEMA IF NOT EXISTS $svc AUTHORIZATION vigil_$svc;"
      echo "REVOKE ALL ON SCHEMA $svc FROM PUBLIC;"
    done
  } | "${psql[@]}" --dbname "$db"

  echo "init.sh: provisioned database $db: schemas and roles for ${services[*]}"
}

(set -euo pipefail; vigil_provision)
