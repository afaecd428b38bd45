#!/usr/bin/env bash
# Times the README's front door on a clean clone: `make run` until the URL serves, twice (first
# run installs and loads the demo world; the second finds it all in place), and `load_demo`.
# Usage: bench/first_run.sh [port]   (leaves nothing running; the clone is in a temp dir)
set -u
port=${1:-8077}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
git clone -q "$repo" "$work/clone" && cd "$work/clone" || exit 1
stop() { pkill -f "scripts/run.sh" ; pkill -f "daphne -b 127.0.0.1 -p $port"; pkill -f "celery -A dso_portal"; sleep 2; }
trap 'stop; rm -rf "$work"' EXIT
for n in 1 2; do
  log="$work/run-$n.log"
  start=$(date +%s.%N)
  (PORT=$port make run >"$log" 2>&1 &)
  deadline=$((SECONDS + 900))
  until curl -s -o /dev/null "http://127.0.0.1:$port/accounts/login/"; do
    [ $SECONDS -gt $deadline ] && { echo "make run #$n did not serve within 900 s"; tail -20 "$log"; exit 1; }
    sleep 0.3
  done
  printf 'make run #%s: %.1f s to a serving URL; %s\n' "$n" "$(echo "$(date +%s.%N) - $start" | bc)" \
    "$(grep -o 'Demo world ready.*' "$log")"
  stop
done
