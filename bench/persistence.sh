#!/usr/bin/env bash
# BGSAVE of a ~1 GB dataset, Debian's redis-server 7.0 vs `vigil server`, same machine, same run.
#
# For each server: load KEYS keys of SIZE-byte values (DEBUG POPULATE), then
#   1. idle BGSAVE: wall time until rdb_bgsave_in_progress goes back to 0;
#   2. baseline client latency: redis-benchmark GET/SET without a save running;
#   3. loaded BGSAVE: start a BGSAVE and run redis-benchmark in short rounds until it ends;
#      report the save time under load, the client throughput and the worst/median p99 of the
#      rounds that ran entirely during the save;
#   4. the time to load the file back at start-up.
# Prints a table and the vigil/redis ratios.
#
#   bench/persistence.sh [keys] [value-size]
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${1:-5000000}
SIZE=${2:-150}
RPORT=${RPORT:-17479}
VPORT=${VPORT:-17480}
CLIENTS=${CLIENTS:-50}
ROUND=${ROUND:-10000}

command -v redis-benchmark >/dev/null || { echo "install redis-tools and redis-server first" >&2; exit 1; }
cargo build --release --quiet
VIGIL=$PWD/target/release/vigil
WORK=$(mktemp -d /tmp/vigil-bench-persistence.XXXXXX)
mkdir -p "$WORK/redis" "$WORK/vigil"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

common=(--save "" --appendonly no --bind 127.0.0.1 --enable-debug-command yes)
start() { # who -> pid
  if [ "$1" = redis ]; then
    redis-server --port "$RPORT" --dir "$WORK/redis" "${common[@]}" --logfile "$WORK/redis.log" &
  else
    "$VIGIL" server --port "$VPORT" --dir "$WORK/vigil" "${common[@]}" --logfile "$WORK/vigil.log" &
  fi
  PIDS+=($!)
}
port_of() { if [ "$1" = redis ]; then echo "$RPORT"; else echo "$VPORT"; fi; }
field() { redis-cli -p "$1" info persistence | tr -d '\r' | awk -F: -v f="$2" '$1==f {print $2}'; }
wait_up() { for _ in $(seq 600); do [ "$(field "$1" loading 2>/dev/null)" = 0 ] && return; sleep 0.05; done; echo "server on $1 did not come up" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
bgsave_wait() { while [ "$(field "$1" rdb_bgsave_in_progress)" = 1 ]; do sleep 0.02; done; }
bench() { # port -> "rps p99" for one round of GET+SET
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$ROUND" -r "$KEYS" -t get,set --csv 2>/dev/null |
    awk -F'","' 'NR>1 { gsub(/"/,""); split($0,a,","); rps+=a[2]; if (a[7]>p) p=a[7] } END { printf "%.0f %.3f\n", rps/2, p }'
}

declare -A R
for who in redis vigil; do
  start $who
  p=$(port_of $who)
  wait_up "$p"
  redis-cli -p "$p" debug populate "$KEYS" key "$SIZE" >/dev/null
  R[$who,mem]=$(redis-cli -p "$p" info memory | tr -d '\r' | awk -F: '$1=="used_memory" {printf "%.0f", $2/1048576}')
  # 1. idle BGSAVE
  t0=$(now); redis-cli -p "$p" bgsave >/dev/null; bgsave_wait "$p"; t1=$(now)
  R[$who,idle]=$(elapsed "$t0" "$t1")
  R[$who,size]=$(stat -c %s "$WORK/$who/dump.rdb" | awk '{printf "%.0f", $1/1048576}')
  # 2. baseline latency (best of 3 rounds)
  best=999; brps=0
  for _ in 1 2 3; do read -r rps p99 < <(bench "$p"); best=$(awk -v a="$best" -v b="$p99" 'BEGIN{print (b<a)?b:a}'); brps=$rps; done
  R[$who,base_p99]=$best; R[$who,base_rps]=$brps
  # 3. BGSAVE under load
  t0=$(now); redis-cli -p "$p" bgsave >/dev/null
  p99s=(); rpss=()
  while [ "$(field "$p" rdb_bgsave_in_progress)" = 1 ]; do
    read -r rps p99 < <(bench "$p")
    if [ "$(field "$p" rdb_bgsave_in_progress)" = 1 ]; then p99s+=("$p99"); rpss+=("$rps"); fi
  done
  bgsave_wait "$p"; t1=$(now)
  R[$who,loaded]=$(elapsed "$t0" "$t1")
  R[$who,rounds]=${#p99s[@]}
  if [ ${#p99s[@]} -gt 0 ]; then
    R[$who,p99_max]=$(printf '%s\n' "${p99s[@]}" | sort -g | tail -1)
    R[$who,p99_med]=$(printf '%s\n' "${p99s[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    R[$who,rps]=$(printf '%s\n' "${rpss[@]}" | awk '{s+=$1} END {printf "%.0f", s/NR}')
  else
    R[$who,p99_max]=n/a; R[$who,p99_med]=n/a; R[$who,rps]=n/a
  fi
  # 4. load at start-up
  redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
  t0=$(now); start $who; wait_up "$p"; t1=$(now)
  R[$who,load]=$(elapsed "$t0" "$t1")
  redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
  sleep 0.5
done

ratio() { awk -v v="$1" -v r="$2" 'BEGIN{ if (r+0>0 && v+0>0) printf "%.2f", v/r; else print "-" }'; }
printf '\nBGSAVE of %s keys x %s bytes (%s clients, %s requests per benchmark round)\n\n' "$KEYS" "$SIZE" "$CLIENTS" "$ROUND"
printf '%-34s %12s %12s %8s\n' metric redis vigil ratio
row() { printf '%-34s %12s %12s %8s\n' "$1" "${R[redis,$2]}" "${R[vigil,$2]}" "$(ratio "${R[vigil,$2]}" "${R[redis,$2]}")"; }
row "used_memory (MB)" mem
row "dump.rdb size (MB)" size
row "BGSAVE time, idle (s)" idle
row "BGSAVE time, under load (s)" loaded
row "baseline GET/SET p99 (ms)" base_p99
row "p99 during BGSAVE, median (ms)" p99_med
row "p99 during BGSAVE, worst (ms)" p99_max
row "baseline throughput (req/s)" base_rps
row "throughput during BGSAVE (req/s)" rps
row "benchmark rounds inside the save" rounds
row "start-up load time (s)" load
