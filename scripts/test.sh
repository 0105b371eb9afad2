#!/usr/bin/env bash
# Runs vigil's whole test suite on a fresh machine: installs what the tests need when it is
# missing (Debian's redis-server/redis-tools as interoperability oracles), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-tools)
# Sentinel tests: real redis-sentinel in mixed quorums, and the Prometheus exporter.
command -v redis-sentinel >/dev/null 2>&1 || need+=(redis-sentinel)
command -v prometheus-redis-exporter >/dev/null 2>&1 || need+=(prometheus-redis-exporter)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian package may start a system redis on 6379; our tests use their own ports, but stop it anyway.
  $sudo service redis-server stop >/dev/null 2>&1 || true
  $sudo service redis-sentinel stop >/dev/null 2>&1 || true
  $sudo service prometheus-redis-exporter stop >/dev/null 2>&1 || true
fi
# redis-py, for the sentinel client tests (redis.sentinel.Sentinel).
if ! python3 -c 'import redis.sentinel' >/dev/null 2>&1; then
  echo "installing: redis (PyPI)"
  python3 -m pip install --quiet redis || python3 -m pip install --quiet --break-system-packages redis
fi

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
  # nextest does not run doctests.
  cargo test --doc --workspace --quiet
else
  cargo test --workspace --no-fail-fast "$@"
fi
