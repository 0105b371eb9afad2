#!/usr/bin/env bash
# SET throughput with the append-only file on, Debian's redis-server 7.0 vs `vigil server`, same
# machine, same run: appendonly yes with appendfsync everysec and always, pipeline 1 and 16,
# 50 clients. redis-benchmark alternates between the two servers in every round so drift hits
# both; the table shows the median of the rounds and the ratio vigil/redis.
#
#   bench/aof.sh [requests] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
ROUNDS=${2:-3}
CLIENTS=${CLIENTS:-50}
RPORT=${RPORT:-17579}
VPORT=${VPORT:-17580}

command -v redis-benchmark >/dev/null || { echo "install redis-tools and redis-server first" >&2; exit 1; }
cargo build --release --quiet
VIGIL=$PWD/target/release/vigil
WORK=$(mktemp -d /tmp/vigil-bench-aof.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # who policy
  local dir="$WORK/$1-$2"
  mkdir -p "$dir"
  local common=(--save "" --appendonly yes --appendfsync "$2" --bind 127.0.0.1 --dir "$dir"
    --logfile "$dir/log" --auto-aof-rewrite-percentage 0)
  if [ "$1" = redis ]; then
    redis-server --port "$RPORT" "${common[@]}" --daemonize no &
  else
    "$VIGIL" server --port "$VPORT" "${common[@]}" &
  fi
  PIDS+=($!)
}
port_of() { if [ "$1" = redis ]; then echo "$RPORT"; else echo "$VPORT"; fi; }
wait_up() { for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.05; done; echo "server on $1 did not come up" >&2; exit 1; }
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
bench() { # port pipeline -> requests per second
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -P "$2" -t set -r 100000 --csv 2>/dev/null |
    awk -F'","' 'NR>1 { gsub(/"/,""); split($0,a,","); print a[2] }'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A R
for policy in everysec always; do
  start redis "$policy"; start vigil "$policy"
  wait_up "$RPORT"; wait_up "$VPORT"
  for P in 1 16; do
    declare -a rr=() vv=()
    for _ in $(seq "$ROUNDS"); do
      rr+=("$(bench "$RPORT" "$P")")
      vv+=("$(bench "$VPORT" "$P")")
    done
    R[redis,$policy,$P]=$(printf '%s\n' "${rr[@]}" | median)
    R[vigil,$policy,$P]=$(printf '%s\n' "${vv[@]}" | median)
  done
  # Both must have written what they acknowledged: sizes of the AOF directories.
  R[redis,$policy,size]=$(du -sm "$WORK/redis-$policy" | cut -f1)
  R[vigil,$policy,size]=$(du -sm "$WORK/vigil-$policy" | cut -f1)
  stop_all
done

printf '\nSET with appendonly yes (%s requests, %s clients, median of %s rounds)\n\n' "$N" "$CLIENTS" "$ROUNDS"
printf '%-10s %4s %12s %12s %8s\n' appendfsync P redis_rps vigil_rps ratio
for policy in everysec always; do
  for P in 1 16; do
    r=${R[redis,$policy,$P]}; v=${R[vigil,$policy,$P]}
    printf '%-10s %4s %12.0f %12.0f %8.2f\n' "$policy" "$P" "$r" "$v" "$(awk -v a="$v" -v b="$r" 'BEGIN{print (b>0)?a/b:0}')"
  done
done
printf '\nAOF directory size after the runs (MB): '
for policy in everysec always; do
  printf '%s redis %s / vigil %s; ' "$policy" "${R[redis,$policy,size]}" "${R[vigil,$policy,size]}"
done
echo
