#!/usr/bin/env bash
# Builds vigil and runs a local high-availability group in the foreground: three `vigil server`
# data nodes (a master on 6380 and two replicas on 6381/6382) supervised by three
# `vigil sentinel`s (26379-26381, quorum 2, master name "mymaster"). Ctrl-C stops everything.
#
#   scripts/run.sh                 the HA group (state and logs in ./run/)
#   scripts/run.sh server [args]   a single data node, arguments as redis-server takes them
#                                  (default 127.0.0.1:6379)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
VIGIL="$PWD/target/release/vigil"

if [ "${1:-}" = server ]; then
  shift
  if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
    exec "$VIGIL" server "$@"
  fi
  exec "$VIGIL" server --bind 127.0.0.1 --port "${VIGIL_PORT:-6379}" "$@"
fi

RUN="${VIGIL_RUN_DIR:-$PWD/run}"
mkdir -p "$RUN"
pids=()
cleanup() {
  trap - INT TERM EXIT
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

for port in 6380 6381 6382; do
  dir="$RUN/node-$port"
  mkdir -p "$dir"
  args=(server --bind 127.0.0.1 --port "$port" --dir "$dir" --logfile "$dir/vigil.log")
  [ "$port" != 6380 ] && args+=(--replicaof 127.0.0.1 6380)
  "$VIGIL" "${args[@]}" &
  pids+=($!)
done
for port in 26379 26380 26381; do
  dir="$RUN/sentinel-$port"
  mkdir -p "$dir"
  conf="$dir/sentinel.conf"
  # Keep an existing file: it holds the sentinel's id and what it learned (failovers included).
  if [ ! -f "$conf" ]; then
    cat > "$conf" <<CONF
port $port
bind 127.0.0.1
dir $dir
logfile $dir/sentinel.log
sentinel monitor mymaster 127.0.0.1 6380 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
CONF
  fi
  "$VIGIL" sentinel "$conf" &
  pids+=($!)
done

cat <<MSG
vigil HA group running (logs and state in $RUN):
  data nodes : 127.0.0.1:6380 (master at start), :6381, :6382 (replicas)
  sentinels  : 127.0.0.1:26379, :26380, :26381 (master name "mymaster", quorum 2)
  try        : redis-cli -p 26379 sentinel get-master-addr-by-name mymaster
Ctrl-C stops the group.
MSG
# Keep running while any member lives: killing the master (kill -9) shows a failover.
wait
