#!/usr/bin/env bash
# Times the README's front door on a clean clone: `make run` until the URL serves, twice (first
# run installs and loads the demo world; the second finds it all in place), and `load_demo`.
# Usage: bench/first_run.sh [port]   (leaves nothing running; the clone is in a temp dir)
set -u
port=${1:-8077}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
git clone -q "$repo" "$work/clone" && cd "$work/clone" || exit 1
# Each `make run` starts in a process group of its own (setsid); stop() ends that group, by its
# id, and nothing else on the machine.
group=""
stop() {
  [ -n "$group" ] || return 0
  kill -TERM -- "-$group" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$group" 2>/dev/null
  group=""
}
trap 'stop; rm -rf "$work"' EXIT
for n in 1 2; do
  log="$work/run-$n.log"
  start=$(date +%s.%N)
  PORT=$port setsid make run >"$log" 2>&1 &
  group=$!
  deadline=$((SECONDS + 900))
  until curl -s -o /dev/null "http://127.0.0.1:$port/accounts/login/"; do
    [ $SECONDS -gt $deadline ] && { echo "make run #$n did not serve within 900 s"; tail -20 "$log"; exit 1; }
    sleep 0.3
  done
  printf 'make run #%s: %.1f s to a serving URL; %s\n' "$n" "$(echo "$(date +%s.%N) - $start" | bc)" \
    "$(grep -o 'Demo world ready.*' "$log")"
  stop
done
