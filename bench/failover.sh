#!/usr/bin/env bash
# Client-visible failover time: vigil sentinel vs Debian's redis-sentinel 7.0, same machine,
# same run, alternating. Each run: a redis-server master + 2 replicas, 3 sentinels of one kind
# (down-after-milliseconds 1000, failover-timeout 5000), a sentinel-aware client (redis-py)
# writing continuously; the master is killed with SIGKILL and the time until the client's first
# successful write on the new master is measured. Prints every run, the medians and the ratio.
#
#   bench/failover.sh [runs-per-kind]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
BASE=${BASE:-17500}

for tool in redis-server redis-sentinel redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/test.sh installs what is needed)" >&2; exit 1; }
done
python3 -c 'import redis.sentinel' 2>/dev/null || { echo "pip install redis" >&2; exit 1; }
cargo build --release --quiet
VIGIL=$PWD/target/release/vigil

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() { for _ in $(seq 200); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }

# The client: writes in a loop through redis.sentinel; prints the wall time (ns) of the first
# successful write on a master other than the initial one.
cat > "$WORK/client.py" <<'EOF'
import sys, time
from redis.sentinel import Sentinel
from redis.retry import Retry
from redis.backoff import NoBackoff
ports = [int(p) for p in sys.argv[2:]]
ready = sys.argv[1]
s = Sentinel([('127.0.0.1', p) for p in ports], socket_timeout=0.2, socket_connect_timeout=0.2)
m = s.master_for('mymaster', socket_timeout=0.2, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
first = s.discover_master('mymaster')
open(ready, 'w').write('ready')
i = 0
while True:
    i += 1
    try:
        m.set('k', i)
        addr = m.connection_pool.get_master_address()
        if addr != first:
            print(time.time_ns())
            sys.exit(0)
    except Exception:
        time.sleep(0.005)
EOF

run_once() { # kind run -> prints ms
  local kind=$1 run=$2 dir="$WORK/$1-$2" mp=$BASE r1=$((BASE+1)) r2=$((BASE+2))
  mkdir -p "$dir"
  local local_pids=()
  redis-server --port $mp --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --logfile "$dir/m.log" &
  local_pids+=($!)
  for p in $r1 $r2; do
    redis-server --port $p --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --logfile "$dir/r$p.log" \
      --replicaof 127.0.0.1 $mp --repl-diskless-sync-delay 0 &
    local_pids+=($!)
  done
  for p in $mp $r1 $r2; do wait_port $p; done
  local sports=()
  for i in 0 1 2; do
    local sp=$((BASE+10+i))
    sports+=($sp)
    printf 'port %s\nbind 127.0.0.1\nlogfile "%s"\nsentinel monitor mymaster 127.0.0.1 %s 2\nsentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n' \
      $sp "$dir/s$i.log" $mp > "$dir/s$i.conf"
    if [ "$kind" = vigil ]; then "$VIGIL" sentinel "$dir/s$i.conf" >/dev/null 2>&1 &
    else redis-sentinel "$dir/s$i.conf" >/dev/null 2>&1 & fi
    local_pids+=($!)
  done
  PIDS+=("${local_pids[@]}")
  for sp in "${sports[@]}"; do wait_port $sp; done
  # Wait until every sentinel knows both replicas and both other sentinels.
  for sp in "${sports[@]}"; do
    for _ in $(seq 400); do
      out=$(redis-cli -p $sp sentinel master mymaster 2>/dev/null | paste - - | awk '$1=="num-slaves"{s=$2} $1=="num-other-sentinels"{o=$2} END{print s" "o}')
      [ "$out" = "2 2" ] && break
      sleep 0.05
    done
  done
  # Replicas in sync before the kill.
  for p in $r1 $r2; do
    for _ in $(seq 200); do redis-cli -p $p info replication | grep -q master_link_status:up && break; sleep 0.05; done
  done
  rm -f "$dir/ready"
  timeout 60 python3 "$WORK/client.py" "$dir/ready" "${sports[@]}" > "$dir/client.out" &
  local cpid=$!
  for _ in $(seq 200); do [ -f "$dir/ready" ] && break; sleep 0.05; done
  sleep 1
  local t0
  t0=$(date +%s%N)
  kill -9 "${local_pids[0]}"
  wait $cpid || true
  local t1
  t1=$(cat "$dir/client.out" 2>/dev/null || echo "")
  for p in "${local_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait "${local_pids[@]}" 2>/dev/null || true
  if [ -z "$t1" ]; then echo "timeout"; else echo $(( (t1 - t0) / 1000000 )); fi
}

declare -a RES_redis RES_vigil
for r in $(seq "$RUNS"); do
  for kind in redis vigil; do
    ms=$(run_once $kind $r)
    echo "run $r $kind: ${ms} ms"
    if [ "$kind" = redis ]; then RES_redis+=("$ms"); else RES_vigil+=("$ms"); fi
  done
done

median() { printf '%s\n' "$@" | grep -v timeout | sort -n | awk '{a[NR]=$1} END{ if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
mr=$(median "${RES_redis[@]}")
mv=$(median "${RES_vigil[@]}")
printf '\n%-16s %s\n' "redis-sentinel" "${RES_redis[*]}"
printf '%-16s %s\n' "vigil sentinel" "${RES_vigil[*]}"
printf '\nmedian client-visible failover: redis-sentinel %s ms, vigil %s ms' "$mr" "$mv"
if [ "$mr" != n/a ] && [ "$mv" != n/a ]; then
  awk -v a="$mv" -v b="$mr" 'BEGIN{printf ", ratio vigil/redis %.2f\n", a/b}'
else
  echo
fi
