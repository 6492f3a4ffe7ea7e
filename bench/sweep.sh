#!/usr/bin/env bash
# Side by side, in one sitting: Castellan (release build), the bare actix-web + ring endpoint
# ("ceiling") and node-oidc-provider, at several concurrencies, several rounds; prints one
# markdown row per (server, concurrency) with medians, and every run to sweep-runs.txt.
#
#   CASTELLAN=../target/release/castellan CEILING=/path/to/ceiling ./sweep.sh
#
# env: CONCURRENCY="1 16 64 256" ROUNDS=3 SECONDS_EACH=10 PEER=1 (0: skip node-oidc-provider)
# Every server is started fresh in an empty temp dir and stopped at the end. The load generator
# (wrk, through token-load.sh) shares the machine's cores with the servers: say so with the figures.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CASTELLAN=$(realpath "${CASTELLAN:?set CASTELLAN to a release build of castellan}")
CEILING=$(realpath "${CEILING:?set CEILING to the bare endpoint binary (see docs/performance.md)}")
CONCURRENCY=${CONCURRENCY:-"1 16 64 256"}
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${SECONDS_EACH:-10}
PEER=${PEER:-1}
SECRET=bench-secret-0123456789abcdef0123456789abcdef
RUNS=${RUNS:-$HERE/sweep-runs.txt}
: > "$RUNS"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cd "$work"
CASTELLAN_LISTEN=127.0.0.1:18080 CASTELLAN_MANAGEMENT_LISTEN=127.0.0.1:19090 \
  CASTELLAN_BOOTSTRAP_CLIENT_ID=bench-client CASTELLAN_BOOTSTRAP_CLIENT_SECRET=$SECRET \
  RUST_LOG=warn "$CASTELLAN" serve > castellan.log 2>&1 &
C_PID=$!; pids+=("$C_PID")
cd "$HERE"
PORT=13100 ALG=ES256 MODE=hmac WORKERS=2 "$CEILING" > "$work/ceiling.log" 2>&1 &
B_PID=$!; pids+=("$B_PID")
if [[ $PEER == 1 ]]; then
  P_PID=$(PORT=13000 ALG=ES256 "$HERE/run-oidc-provider.sh"); pids+=("$P_PID")
fi
for _ in $(seq 1 50); do
  curl -s -o /dev/null http://127.0.0.1:18080/healthz && curl -s -o /dev/null -X POST http://127.0.0.1:13100/oauth2/token && break
  sleep 0.2
done

run() { # name pid url resource path c
  local line
  line=$(TOKEN_PATH=$5 SERVER_PID=$2 "$HERE/token-load.sh" "$3" bench-client "$SECRET" "$4" "$6" "$SECONDS_EACH" 2>/dev/null)
  echo "$1 c=$6 $line" | tee -a "$RUNS" >&2
}

for c in $CONCURRENCY; do
  for r in $(seq 1 "$ROUNDS"); do
    run castellan "$C_PID" http://127.0.0.1:18080 "" /oauth2/token "$c"
    run bare "$B_PID" http://127.0.0.1:13100 urn:bench:api /oauth2/token "$c"
    if [[ $PEER == 1 ]]; then run node-oidc-provider "$P_PID" http://127.0.0.1:13000 urn:bench:api /token "$c"; fi
  done
done

echo "| server | concurrency | tokens/s (median) | p99 ms (median) | server CPU µs/token (median) | runs |"
echo "| --- | --- | --- | --- | --- | --- |"
python3 - "$RUNS" <<'PY'
import sys, statistics, re, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, c = line.split()[0], line.split()[1]
    kv = dict(re.findall(r'(\w+)=([\d.]+)', line))
    rows.setdefault((name, c), []).append(kv)
for (name, c), runs in rows.items():
    med = lambda k: statistics.median(float(r.get(k, 'nan')) for r in runs)
    print(f"| {name} | {c[2:]} | {med('tokens_per_s'):,.0f} | {med('p99_ms'):.2f} | {med('server_cpu_us_per_token'):.0f} | {len(runs)} |")
PY
