#!/usr/bin/env bash
# Builds vigil and runs a data node in the foreground (Ctrl-C stops it).
# With no arguments it listens on 127.0.0.1:6379 (VIGIL_PORT overrides the port).
# Arguments are passed through as to redis-server: a redis.conf path and/or `--directive value`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
if [ $# -gt 0 ] && [[ "$1" != --* ]]; then
  exec ./target/release/vigil server "$@"
fi
exec ./target/release/vigil server --bind 127.0.0.1 --port "${VIGIL_PORT:-6379}" "$@"
