#!/usr/bin/env bash
# Runs Redis 7.0.15's own TCL test suites against vigil.
#
# Redis's sources are never committed here: they are fetched at run time from Debian's source
# archive (deb-src) into target/redis-src, and only the harness is used from them. The binaries
# the harness expects in src/ are symlinks:
#   src/redis-server   -> vigil (it acts as `vigil server` through argv[0]); for the sentinel
#                         suite, Debian's real redis-server by default (see --sentinel-data-node)
#   src/redis-sentinel -> vigil (acts as `vigil sentinel`)
#   src/redis-cli, src/redis-benchmark, src/redis-check-aof, src/redis-check-rdb -> Debian's
#
# Usage: tests/redis-suite/run.sh [options] [-- extra runtest arguments]
# See --help. Not part of scripts/test.sh (it takes far longer than the CI budget allows).
set -euo pipefail
# The whole script is one compound command, parsed before it runs: editing this file while
# the suites run cannot derail it.
{

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
REDIS_VERSION=7.0.15
TARBALL_NAME="redis_${REDIS_VERSION}.orig.tar.gz"
TARBALL_SHA256=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
CACHE="$ROOT/target/redis-src"
SRC="$CACHE/redis-$REDIS_VERSION"
LOGS="$ROOT/target/redis-suite-logs"

# The data-node units that cover what vigil claims to support (see README).
DEFAULT_UNITS=(
  unit/type/string unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3
  unit/type/hash unit/type/set unit/type/zset
  unit/keyspace unit/scan unit/expire unit/pubsub unit/multi unit/auth unit/acl
  unit/info unit/info-command unit/introspection unit/introspection-2 unit/protocol
  unit/bitops unit/slowlog unit/latency-monitor unit/maxmemory unit/quit unit/pause
  unit/querybuf unit/limits unit/networking
)

usage() {
  cat <<'EOF'
Usage: tests/redis-suite/run.sh [options] [-- extra runtest arguments]

Runs Redis 7.0.15's own test suites (fetched from Debian's source archive) with vigil in place
of redis-server / redis-sentinel, and prints passed/failed counts per suite.

Suites:
  --unit NAME            run this data-node unit (e.g. unit/type/list); repeatable.
                         Default: the units covering what vigil supports (--list-units).
  --no-units             skip the data-node units
  --no-sentinel          skip the sentinel suite
  --sentinel-only        same as --no-units
  --units-only           same as --no-sentinel
  --sentinel-test PAT    run only sentinel test files matching PAT (e.g. 05-manual); repeatable
  --only PATTERN         run only data-node tests whose name matches PATTERN (runtest --only)
  --no-skip              also run the tests listed in tests/redis-suite/skip-units.txt (features
                         vigil does not have yet, or deliberate differences; see that file)
  --list-units           print the default unit list and exit

Binaries:
  --release              build and use target/release/vigil (default: target/debug/vigil)
  --vigil PATH           use this vigil binary (no build)
  --sentinel-data-node redis|vigil
                         what src/redis-server is for the sentinel suite (default: redis,
                         Debian's redis-server, as the sentinel tests need replication)
  --reference            run everything against Debian's real redis-server/redis-sentinel
                         (to tell harness/environment failures from vigil ones)

Other:
  --timeout SECONDS      runtest's no-progress timeout per unit (default 300)
  --dump-logs            have runtest dump server logs on failures
  --keep                 keep the sentinel suite's instance directories (--dont-clean)
  --logs DIR             where per-suite logs go (default target/redis-suite-logs)
  -h, --help             this help

Arguments after -- are passed to every ./runtest invocation (e.g. -- --tags -slow).
EOF
}

units=()
run_units=1
run_sentinel=1
sentinel_tests=()
only=()
use_skips=1
profile=debug
vigil_bin=""
sentinel_data_node=redis
reference=0
timeout=300
dump_logs=0
keep=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --unit) units+=("$2"); shift 2 ;;
    --no-units|--sentinel-only) run_units=0; shift ;;
    --no-sentinel|--units-only) run_sentinel=0; shift ;;
    --sentinel-test) sentinel_tests+=("$2"); shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    --no-skip) use_skips=0; shift ;;
    --list-units) printf '%s\n' "${DEFAULT_UNITS[@]}"; exit 0 ;;
    --release) profile=release; shift ;;
    --vigil) vigil_bin=$(realpath "$2"); shift 2 ;;
    --sentinel-data-node) sentinel_data_node="$2"; shift 2 ;;
    --reference) reference=1; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    --dump-logs) dump_logs=1; shift ;;
    --keep) keep=1; shift ;;
    --logs) LOGS=$(realpath -m "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#units[@]} -gt 0 ] || units=("${DEFAULT_UNITS[@]}")
case "$sentinel_data_node" in redis|vigil) ;; *) echo "--sentinel-data-node: redis or vigil" >&2; exit 2 ;; esac

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- prerequisites ---------------------------------------------------------------------------

need=()
command -v tclsh8.6 >/dev/null 2>&1 || command -v tclsh8.7 >/dev/null 2>&1 \
  || command -v tclsh8.5 >/dev/null 2>&1 || need+=(tcl)
for b in redis-server redis-sentinel redis-cli redis-benchmark redis-check-aof; do
  command -v "$b" >/dev/null 2>&1 && continue
  case "$b" in
    redis-server|redis-check-aof) need+=(redis-server) ;;
    redis-sentinel) need+=(redis-sentinel) ;;
    *) need+=(redis-tools) ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  as_root service redis-server stop >/dev/null 2>&1 || true
  as_root service redis-sentinel stop >/dev/null 2>&1 || true
fi

# deb-src entries for Debian's archive, so that `apt-get source` can fetch Redis's sources.
ensure_debsrc() {
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return
  fi
  echo "adding deb-src entries: /etc/apt/sources.list.d/debsrc.sources"
  as_root tee /etc/apt/sources.list.d/debsrc.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  as_root apt-get update -qq
}

fetch_sources() {
  [ -f "$SRC/.vigil-unpacked" ] && return
  mkdir -p "$CACHE/dl"
  local tarball="$CACHE/dl/$TARBALL_NAME"
  if [ ! -f "$tarball" ] && [ -n "${REDIS_SRC_TARBALL:-}" ]; then
    cp "$REDIS_SRC_TARBALL" "$tarball"
  fi
  if [ ! -f "$tarball" ]; then
    ensure_debsrc
    echo "fetching Redis $REDIS_VERSION sources (apt-get source --download-only redis)"
    if ! (cd "$CACHE/dl" && apt-get source --download-only -qq redis >/dev/null 2>&1); then
      # Source indexes may be missing even though deb-src is configured.
      as_root apt-get update -qq
      (cd "$CACHE/dl" && apt-get source --download-only -qq redis >/dev/null)
    fi
    if [ ! -f "$tarball" ]; then
      echo "apt-get source did not provide $TARBALL_NAME (got: $(ls "$CACHE/dl"))" >&2
      echo "set REDIS_SRC_TARBALL=/path/to/$TARBALL_NAME to use a local copy" >&2
      exit 1
    fi
  fi
  echo "$TARBALL_SHA256  $tarball" | sha256sum -c --quiet - || { echo "checksum mismatch: $tarball" >&2; exit 1; }
  rm -rf "$SRC"
  tar xzf "$tarball" -C "$CACHE"
  touch "$SRC/.vigil-unpacked"
}

fetch_sources

if [ "$reference" -eq 1 ]; then
  vigil_bin=""
elif [ -z "$vigil_bin" ]; then
  echo "building vigil ($profile)"
  if [ "$profile" = release ]; then
    (cd "$ROOT" && cargo build --release --quiet)
  else
    (cd "$ROOT" && cargo build --quiet)
  fi
  vigil_bin="$ROOT/target/$profile/vigil"
fi
if [ -n "$vigil_bin" ]; then
  # A private copy: rebuilding while the suites run must not swap the binary under them.
  mkdir -p "$CACHE/bin"
  cp "$vigil_bin" "$CACHE/bin/vigil.tmp" && mv "$CACHE/bin/vigil.tmp" "$CACHE/bin/vigil"
  vigil_bin="$CACHE/bin/vigil"
fi

# Points the harness's src/<name> at a binary.
link_bin() {
  ln -sfn "$2" "$SRC/src/$1"
}
link_bin redis-cli "$(command -v redis-cli)"
link_bin redis-benchmark "$(command -v redis-benchmark)"
link_bin redis-check-aof "$(command -v redis-check-aof)"
link_bin redis-check-rdb "$(command -v redis-check-rdb)"

mkdir -p "$LOGS"
export TERM=dumb # no colours in the harness output, so that it can be parsed

summary=()
total_ok=0
total_err=0

# --- data-node units -------------------------------------------------------------------------

run_unit() {
  local unit="$1"
  local log="$LOGS/$(echo "$unit" | tr '/' '_').log"
  local args=(--single "$unit" --clients 1 --durable --timeout "$timeout")
  for o in "${only[@]}"; do args+=(--only "$o"); done
  [ "$dump_logs" -eq 1 ] && args+=(--dump-logs)
  # Blocks tagged needs:repl set up replicas outside any test: only the tag can skip them.
  [ -n "$skipfile" ] && args+=(--skipfile "$skipfile" --tags -needs:repl)
  echo "=== $unit"
  local rc=0
  (cd "$SRC" && ./runtest "${args[@]}" "${extra[@]}") >"$log" 2>&1 || rc=$?
  local ok err ign skip
  ok=$(grep -c '^\[ok\]: ' "$log" || true)
  err=$(grep -cE '^\[(err|exception)\]: ' "$log" || true)
  grep -q "^\[TIMEOUT\]" "$log" && err=$((err + 1))
  ign=$(grep -c '^\[ignore\]: ' "$log" || true)
  skip=$(grep -c '^\[skip\]: ' "$log" || true)
  local note=""
  grep -q 'TIMEOUT' "$log" && note=" TIMEOUT"
  grep -q '^\[exception\]' "$log" && note="$note aborted(exception)"
  if [ "$rc" -ne 0 ] && [ "$ok" -eq 0 ] && [ "$err" -eq 0 ]; then note="$note harness-error(rc=$rc)"; fi
  grep -E '^\[(err|exception)\]: ' "$log" | sed 's/^/    /' || true
  summary+=("$(printf '%-28s passed %4d  failed %4d  skipped %3d%s' "$unit" "$ok" "$err" "$((ign + skip))" "$note")")
  total_ok=$((total_ok + ok))
  total_err=$((total_err + err))
}

skipfile=""
if [ "$use_skips" -eq 1 ] && [ "$reference" -eq 0 ] && [ -f "$ROOT/tests/redis-suite/skip-units.txt" ]; then
  # runtest takes one test name (or /regexp) per line: drop comments and blank lines.
  skipfile="$LOGS/skip-units.txt"
  grep -vE '^[[:space:]]*(#|$)' "$ROOT/tests/redis-suite/skip-units.txt" >"$skipfile" || true
fi

if [ "$run_units" -eq 1 ]; then
  if [ "$reference" -eq 1 ]; then
    link_bin redis-server "$(command -v redis-server)"
  else
    link_bin redis-server "$vigil_bin"
  fi
  for u in "${units[@]}"; do run_unit "$u"; done
fi

# --- sentinel suite --------------------------------------------------------------------------

if [ "$run_sentinel" -eq 1 ]; then
  if [ "$reference" -eq 1 ] || [ "$sentinel_data_node" = redis ]; then
    link_bin redis-server "$(command -v redis-server)"
  else
    link_bin redis-server "$vigil_bin"
  fi
  if [ "$reference" -eq 1 ]; then
    link_bin redis-sentinel "$(command -v redis-sentinel)"
  else
    link_bin redis-sentinel "$vigil_bin"
  fi
  args=()
  for t in "${sentinel_tests[@]}"; do args+=(--single "$t"); done
  [ "$keep" -eq 1 ] && args+=(--dont-clean)
  log="$LOGS/sentinel.log"
  echo "=== sentinel"
  rc=0
  (cd "$SRC" && ./runtest-sentinel "${args[@]}") >"$log" 2>&1 || rc=$?
  # Each test prints "HH:MM:SS> description: OK" or "...: FAILED: reason"; an assertion skips
  # the rest of its file, an error aborts the file ("caught an error in the test").
  # The outcome goes on a line of its own when the harness printed something meanwhile
  # ("Waiting for process N to exit..." while a killed instance shuts down).
  ok=$(grep -cE '^([0-9:]{8}> .*: )?OK$' "$log" || true)
  # A failed assertion prints "...: FAILED: why"; any other error in a test file prints
  # "FAILED: caught an error in the test" and skips the rest of the file.
  failed=$(awk '/^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> .*: FAILED: / {n++; last=1; next}
                /^FAILED: caught an error/ {if (!last) n++; last=0; next}
                /^FAILED: / {n++; last=1; next}
                /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> / {last=0}
                END {print n+0}' "$log")
  grep -nE 'FAILED: |Testing unit:' "$log" | grep -B1 'FAILED' | grep -v '^--$' | sed 's/^/    /' || true
  note=""
  grep -q 'WARNING: Aborting the test' "$log" && note=" aborted"
  grep -q 'Crash report found' "$log" && note="$note crash-report"
  grep -q 'leaked fds' "$log" && note="$note leaked-fds"
  summary+=("$(printf '%-28s passed %4d  failed %4d%s (rc=%d)' "sentinel (tests/sentinel)" "$ok" "$failed" "$note" "$rc")")
  total_ok=$((total_ok + ok))
  total_err=$((total_err + failed))
fi

echo
echo "=== Summary (logs in $LOGS)"
printf '%s\n' "${summary[@]}"
printf '%-28s passed %4d  failed %4d\n' "total" "$total_ok" "$total_err"
[ "$total_err" -eq 0 ]
exit
}
