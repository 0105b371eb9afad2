#!/usr/bin/env bash
# Side-by-side throughput and memory: Debian's redis-server 7.0 vs `vigil server`, same settings,
# same machine, same run. redis-benchmark alternates between the two for every test so drift
# (thermal, other load) hits both. Prints requests/s and the ratio vigil/redis.
#
#   bench/compare.sh [requests] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
ROUNDS=${2:-3}
TESTS="set,get,incr,lpush,lpop,sadd,hset,zadd,mset"
RPORT=${RPORT:-17379}
VPORT=${VPORT:-17380}

command -v redis-benchmark >/dev/null || { echo "install redis-tools and redis-server first" >&2; exit 1; }
cargo build --release --quiet
VIGIL=./target/release/vigil

common=(--save "" --appendonly no --bind 127.0.0.1 --protected-mode yes)
redis-server --port "$RPORT" "${common[@]}" --enable-debug-command yes --daemonize no >/dev/null 2>&1 &
RPID=$!
"$VIGIL" server --port "$VPORT" "${common[@]}" --enable-debug-command yes >/dev/null 2>&1 &
VPID=$!
trap 'kill $RPID $VPID 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for p in $RPORT $VPORT; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

declare -A best
run() { # port pipeline -> "TEST|rps" lines (test names may contain spaces: "MSET (10 keys)")
  redis-benchmark -p "$1" -c 50 -n "$N" -P "$2" -t "$TESTS" -r 100000 --csv 2>/dev/null |
    awk -F'","' 'NR>1 { gsub(/"/,""); split($0,a,","); split(a[1],n," "); print n[1] "|" a[2] }'
}
for P in 1 16; do
  for r in $(seq "$ROUNDS"); do
    for who in redis vigil; do
      port=$RPORT; [ $who = vigil ] && port=$VPORT
      redis-cli -p "$port" flushall >/dev/null
      while IFS='|' read -r test rps; do
        key="$who|$P|$test"
        cur=${best[$key]:-0}
        best[$key]=$(awk -v a="$cur" -v b="$rps" 'BEGIN{print (b>a)?b:a}')
      done < <(run "$port" "$P")
    done
  done
done

printf '\n%-12s %4s %14s %14s %8s\n' test P redis_rps vigil_rps ratio
for P in 1 16; do
  for t in $(echo "$TESTS" | tr a-z A-Z | tr , ' '); do
    r=${best["redis|$P|$t"]:-0}; v=${best["vigil|$P|$t"]:-0}
    printf '%-12s %4s %14.0f %14.0f %8.2f\n' "$t" "$P" "$r" "$v" "$(awk -v a="$v" -v b="$r" 'BEGIN{print (b>0)?a/b:0}')"
  done
done

# Memory: 1M keys of 100-byte values on each, RSS compared.
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
for port in $RPORT $VPORT; do redis-cli -p "$port" flushall >/dev/null; done
redis-cli -p "$RPORT" debug populate 1000000 key 100 >/dev/null
redis-cli -p "$VPORT" debug populate 1000000 key 100 >/dev/null
sleep 1
rk=$(redis-cli -p "$RPORT" dbsize); vk=$(redis-cli -p "$VPORT" dbsize)
rr=$(rss $RPID); vr=$(rss $VPID)
printf '\n%-28s %12s %12s %8s\n' "memory (1M x 100B values)" redis vigil ratio
printf '%-28s %12s %12s\n' keys "$rk" "$vk"
printf '%-28s %10.1fMB %10.1fMB %8.2f\n' RSS "$(awk -v k=$rr 'BEGIN{print k/1024}')" "$(awk -v k=$vr 'BEGIN{print k/1024}')" "$(awk -v a=$vr -v b=$rr 'BEGIN{print a/b}')"
