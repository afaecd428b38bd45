#!/usr/bin/env bash
# Start the product. With Redis reachable (production shape): uvicorn with WEB_WORKERS processes
# (default: one per core) behind one port for HTTP and websockets (the Redis channel layer joins
# them), DEBUG off, static files collected, hashed and pre-compressed, plus a Celery worker and
# beat. Without Redis (embedded) one daphne process serves everything: the in-memory channel layer
# cannot span processes, and studies run in-process off the request thread.
# DSO_EMBEDDED=1 runs embedded even when a Redis answers on localhost (or REDIS_URL is set).
# Stops exactly the processes it started, by pid.
set -euo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
cd "$(dirname "$0")/.."

case "${DSO_EMBEDDED:-}" in
  1|true|yes|on) export DSO_EMBEDDED=1; unset REDIS_URL ;;
  *) unset DSO_EMBEDDED ;;
esac
if [ -z "${DSO_EMBEDDED:-}" ] && [ -z "${REDIS_URL:-}" ] && "$PY" - <<'PYEOF' 2>/dev/null
import socket
socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
PYEOF
then
  export REDIS_URL=redis://127.0.0.1:6379/0
fi

mkdir -p var
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

WEB_WORKERS=${WEB_WORKERS:-$(nproc 2>/dev/null || echo 2)}
if [ -n "${REDIS_URL:-}" ]; then
  export DEBUG=${DEBUG:-0} DSO_STATIC_MANIFEST=1
  "$PY" manage.py collectstatic --noinput -v 0
  mode="production shape: ${WEB_WORKERS} uvicorn web workers, Redis at $REDIS_URL, Celery worker + beat (logs in var/)"
  "$PY" -m celery -A dso_portal worker -l info --concurrency 2 >var/worker.log 2>&1 & pids+=($!)
  "$PY" -m celery -A dso_portal beat -l info --schedule var/celerybeat-schedule >var/beat.log 2>&1 & pids+=($!)
elif [ -n "${DSO_EMBEDDED:-}" ]; then
  mode="embedded (DSO_EMBEDDED=1): in-memory channel layer and studies run in-process"
else
  mode="embedded: no Redis found, so in-memory channel layer and studies run in-process"
fi
db=${DATABASE_URL:-"SQLite (var/db.sqlite3)"}

cat <<MSG

  DSO Control Room is starting
  URL:       http://127.0.0.1:${PORT}/
  API docs:  http://127.0.0.1:${PORT}/api/docs/
  Mode:      ${mode}
  Database:  ${db}
  Logins (password 'control-room-demo'):
    operator    control-room operator      engineer    control engineer
    admin       back-office admin          brightside  aggregator (household premise)
    voltshare   aggregator                 riverside   community energy scheme
    tso         TSO API client (token: python manage.py drf_create_token tso)
  Stop with Ctrl-C.

MSG
# In the background and waited for, so that a TERM to this script runs cleanup at once.
if [ -n "${REDIS_URL:-}" ]; then
  # uvicorn's supervisor keeps WEB_WORKERS processes on one socket and restarts one that dies.
  "$PY" -m uvicorn dso_portal.asgi:application --host "${HOST:-127.0.0.1}" --port "$PORT" \
    --workers "$WEB_WORKERS" --loop uvloop --http httptools --ws websockets --lifespan off \
    --no-access-log --timeout-graceful-shutdown 10 & pids+=($!)
else
  "$PY" -m daphne -b 127.0.0.1 -p "$PORT" dso_portal.asgi:application & pids+=($!)
fi
wait "${pids[-1]}"
