#!/usr/bin/env bash
# Full synchronisation of a ~1 GB dataset, Debian's redis-server 7.0 vs `vigil server`, side by
# side in one run: the master is filled with DEBUG POPULATE, an empty replica of the same
# implementation is attached with REPLICAOF, and we time until the replica reports the link up
# with every key loaded. Memory is sampled every 50 ms as the proportional set size (Pss) of
# each process tree, so the pages a forking Redis shares with its child are not counted twice.
#
# DEBUG POPULATE values compress to almost nothing, so by default the masters save without
# LZF (`rdbcompression no`) and the full ~1 GB crosses the link; COMPRESS=yes measures the
# compressed variant.
#
#   bench/replication.sh [keys] [value_bytes] [modes]     (defaults: 1000000 1000 "diskless disk")
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-1000000}
SIZE=${2:-1000}
MODES=${3:-"diskless disk"}
MPORT=${MPORT:-17391}
RPORT=${RPORT:-17392}
COMPRESS=${COMPRESS:-no}

command -v redis-server >/dev/null || { echo "install redis-server first" >&2; exit 1; }
cargo build --release --quiet
VIGIL=$PWD/target/release/vigil
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Sum of Pss (kB) of a process and its children.
pss() {
  local total=0 v
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

start() { # who port dir extra... ; sets LAST_PID
  local who=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  local args=(--port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --logfile node.log
              --enable-debug-command yes --repl-diskless-sync-delay 0 "$@")
  if [ "$who" = redis ]; then
    redis-server "${args[@]}" >/dev/null 2>&1 &
  else
    "$VIGIL" server "${args[@]}" >/dev/null 2>&1 &
  fi
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  for _ in $(seq 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
}

stop() { # port pid
  redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 300); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$2" 2>/dev/null || true
}

field() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v k="$3" '$1==k{print $2}'; }

run_case() { # who mode
  local who=$1 mode=$2
  local diskless=yes; [ "$mode" = disk ] && diskless=no
  local mpid rpid
  start "$who" "$MPORT" "$WORK/$who-$mode-m" --repl-diskless-sync "$diskless" \
    --rdbcompression "$COMPRESS"
  mpid=$LAST_PID
  redis-cli -p "$MPORT" debug populate "$KEYS" key "$SIZE" >/dev/null
  local used; used=$(field "$MPORT" memory used_memory)
  local base; base=$(pss "$mpid")
  start "$who" "$RPORT" "$WORK/$who-$mode-r"
  rpid=$LAST_PID
  local mpeak=$base rpeak=0 m r
  local t0; t0=$(date +%s.%N)
  redis-cli -p "$RPORT" replicaof 127.0.0.1 "$MPORT" >/dev/null
  while :; do
    m=$(pss "$mpid"); r=$(pss "$rpid")
    [ "$m" -gt "$mpeak" ] && mpeak=$m
    [ "$r" -gt "$rpeak" ] && rpeak=$r
    if [ "$(field "$RPORT" replication master_link_status)" = up ] &&
       [ "$(redis-cli -p "$RPORT" dbsize)" = "$KEYS" ]; then
      break
    fi
    sleep 0.05
  done
  local t1; t1=$(date +%s.%N)
  local secs; secs=$(echo "$t1 - $t0" | bc)
  printf "%-6s %-9s %9d %10.0f %8.2f %12.0f %12.0f %12.0f\n" "$who" "$mode" "$KEYS" \
    "$((used / 1048576))" "$secs" "$((base / 1024))" "$((mpeak / 1024))" "$((rpeak / 1024))"
  stop "$RPORT" "$rpid"
  stop "$MPORT" "$mpid"
}

printf "%-6s %-9s %9s %10s %8s %12s %12s %12s\n" server mode keys used_MB sync_s \
  master_MB master_pk_MB replica_pk_MB
for mode in $MODES; do
  for who in redis vigil; do
    run_case "$who" "$mode"
  done
done
