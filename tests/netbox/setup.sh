#!/usr/bin/env bash
# Prepares the real NetBox for tests/netbox_e2e/ and prints the environment the test reads:
#   NBSSO_NETBOX_VENV  a Python 3.12 venv with netbox==$NETBOX_VERSION from PyPI
#   NBSSO_NETBOX_DUMP  a pg_dump (custom format) of a fully migrated, empty NetBox database
#   NBSSO_PG_BIN       the PostgreSQL server binaries (initdb, pg_ctl, pg_restore, psql)
#   NBSSO_REDIS_SERVER the redis-server binary
#
# Usage: tests/netbox/setup.sh CACHE_DIR   (prints `export NAME=value` lines on stdout; progress on stderr)
#
# Both are built once and kept in CACHE_DIR/netbox-<version>-py<python>-pg<major>/, so a change of any of the
# three versions builds afresh. Building the dump runs every NetBox migration on an empty database (5–8 min
# on 2 cores); a warm run only restores it (~2 s). PostgreSQL refuses to run as root: when this runs as root,
# the throw-away cluster belongs to the `postgres` user (runuser), as the test's own cluster does.
#
# Needs: python3.12 (PATH, NBSSO_PYTHON312, or pyenv), the Debian packages postgresql and redis-server. A
# missing prerequisite is an error with the fix, never a silent skip.
set -euo pipefail

NETBOX_VERSION=4.7.3
cache=${1:?usage: setup.sh CACHE_DIR}
say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'tests/netbox/setup.sh: %s\n' "$*" >&2; exit 1; }

# Python 3.12 (NetBox 4.7 requires Python >= 3.12)
python=${NBSSO_PYTHON312:-}
if [[ -z $python ]]; then
  for candidate in python3.12 "$(pyenv root 2>/dev/null)/versions/"3.12*/bin/python3.12 \
    "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do
    if [[ -n $candidate ]] && command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      python=$(command -v "$candidate")
      break
    fi
  done
fi
[[ -n $python ]] || fail "NetBox $NETBOX_VERSION needs Python 3.12 and none was found (tried python3.12 on PATH, pyenv's versions/3.12*, /usr/bin, /usr/local/bin). Install one (e.g. \`pyenv install 3.12\`) or set NBSSO_PYTHON312=/path/to/python3.12."
py_version=$("$python" -c 'import platform; print(platform.python_version())')

# PostgreSQL server binaries (Debian keeps them out of PATH) and redis-server
pg_bin=${NBSSO_PG_BIN:-}
if [[ -z $pg_bin ]]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
fi
[[ -x $pg_bin/initdb && -x $pg_bin/pg_ctl && -x $pg_bin/pg_restore && -x $pg_bin/psql ]] \
  || fail "no PostgreSQL server binaries (initdb, pg_ctl) in ${pg_bin:-/usr/lib/postgresql/*/bin}: apt-get install -y postgresql"
pg_major=$("$pg_bin/postgres" --version | sed -E 's/.* ([0-9]+)\..*/\1/')
redis=$(command -v redis-server || true)
[[ -n $redis ]] || fail "redis-server is not installed: apt-get install -y redis-server"

key="$cache/netbox-$NETBOX_VERSION-py$py_version-pg$pg_major"
mkdir -p "$key"

# 1. The venv
if [[ ! -f $key/venv/.complete ]]; then
  say "NetBox $NETBOX_VERSION into a Python $py_version venv at $key/venv (about 90 s, once)"
  rm -rf "$key/venv"
  start=$(date +%s)
  "$python" -m venv "$key/venv" || fail "$python -m venv failed"
  "$key/venv/bin/pip" install --quiet --disable-pip-version-check "netbox==$NETBOX_VERSION" >&2 \
    || fail "pip install netbox==$NETBOX_VERSION failed (needs PyPI and libpq-dev)"
  touch "$key/venv/.complete"
  say "installed in $(($(date +%s) - start)) s"
fi
"$key/venv/bin/python" -c 'import netbox' 2>/dev/null || fail "the venv at $key/venv is broken: remove it and run again"

# 2. The migrated database dump
run_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [[ ! -s $key/netbox.dump ]]; then
  say "Migrating an empty NetBox $NETBOX_VERSION database into $key/netbox.dump (5–8 minutes, once)"
  if [[ $(id -u) -eq 0 ]]; then id postgres >/dev/null 2>&1 || fail "running as root needs the postgres user (apt-get install -y postgresql)"; fi
  work=$(mktemp -d)
  chmod 0755 "$work"
  pg_port=$(free_port)
  redis_port=$(free_port)
  cleanup() {
    run_pg "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    [[ -f $work/redis.pid ]] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
    rm -rf "$work"
  }
  trap cleanup EXIT
  mkdir -p "$work/pg" "$work/sock" "$work/redis"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$work/pg" "$work/sock"
  run_pg "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
    || fail "initdb failed"
  run_pg "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/sock/postgres.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -k $work/sock" start >/dev/null || fail "PostgreSQL did not start"
  "$pg_bin/psql" -q -h "$work/sock" -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE USER netbox WITH PASSWORD 'netbox';" -c "CREATE DATABASE netbox OWNER netbox;" >/dev/null
  "$redis" --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" --daemonize yes --save '' \
    --appendonly no --pidfile "$work/redis.pid" >/dev/null || fail "redis-server did not start"
  export NETBOX_ROOT="$work/root"
  "$key/venv/bin/netbox" setup --target "$NETBOX_ROOT" >/dev/null
  cat >>"$NETBOX_ROOT/conf/configuration.py" <<EOF

ALLOWED_HOSTS = ['127.0.0.1']
DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'netbox', 'USER': 'netbox',
    'PASSWORD': 'netbox', 'HOST': '127.0.0.1', 'PORT': '$pg_port', 'CONN_MAX_AGE': 0}}
REDIS = {'tasks': {'HOST': '127.0.0.1', 'PORT': $redis_port, 'DATABASE': 0, 'SSL': False},
         'caching': {'HOST': '127.0.0.1', 'PORT': $redis_port, 'DATABASE': 1, 'SSL': False}}
SECRET_KEY = '$("$key/venv/bin/netbox" secret-key 2>/dev/null | tail -n1)'
EOF
  start=$(date +%s)
  "$key/venv/bin/netbox" migrate --no-input >"$work/migrate.log" 2>&1 \
    || { tail -n 40 "$work/migrate.log" >&2; fail "netbox migrate failed"; }
  say "migrated in $(($(date +%s) - start)) s"
  "$pg_bin/pg_dump" -h "$work/sock" -p "$pg_port" -U postgres -Fc --no-owner --no-privileges netbox \
    >"$key/netbox.dump.partial" || fail "pg_dump failed"
  mv "$key/netbox.dump.partial" "$key/netbox.dump"
  cleanup
  trap - EXIT
fi

printf 'export NBSSO_NETBOX_VENV=%q\n' "$key/venv"
printf 'export NBSSO_NETBOX_DUMP=%q\n' "$key/netbox.dump"
printf 'export NBSSO_PG_BIN=%q\n' "$pg_bin"
printf 'export NBSSO_REDIS_SERVER=%q\n' "$redis"
