#!/usr/bin/env bash
# Smoke test of the runtime image around a release binary. It builds Dockerfile.prebuilt (beside
# this script), starts a container on a fresh volume and checks what docs/deployment.md
# promises: non-root, the health check turning healthy, /healthz and /readyz, the bootstrap
# credentials in the log, a token from them, the admin API, files at rest, and a restart on the
# same volume. It removes the container, the image and the volume it made.
#
#   deploy/docker/smoke-test.sh target/release/castellan [BASE_IMAGE]
#
# BASE_IMAGE defaults to debian:bookworm-slim (e.g. castellan-base:bookworm without a registry).
# PORT and MANAGEMENT_PORT choose the host ports (18080, 19000). Needs docker, curl, python3.
set -euo pipefail

bin=${1:?usage: $0 path/to/castellan [BASE_IMAGE]}
base=${2:-debian:bookworm-slim}
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-18080}
mport=${MANAGEMENT_PORT:-19000}
issuer="http://127.0.0.1:$port"
tag="castellan-smoke:$$"
name="castellan-smoke-$$"
ctx=$(mktemp -d)
passed=0
failed=0

cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker rmi -f "$tag" >/dev/null 2>&1 || true
  docker volume rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
trap cleanup EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { # description, then a command that must succeed
  local what=$1
  shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
  echo "smoke: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# The payload of a JWT, as JSON.
jwt_payload() {
  python3 -c 'import base64, sys
p = sys.argv[1].split(".")[1]
print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$1"
}

wait_healthy() {
  local status
  for _ in $(seq 1 90); do
    if [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
      docker logs "$name" 2>&1 | tail -20
      return 1
    fi
    status=$(docker inspect -f '{{.State.Health.Status}}' "$name")
    [ "$status" = healthy ] && return 0
    sleep 1
  done
  docker inspect -f '{{json .State.Health}}' "$name"
  return 1
}

cp "$bin" "$ctx/castellan"
chmod 0755 "$ctx/castellan"
docker build -q -f "$here/Dockerfile.prebuilt" --build-arg BASE_IMAGE="$base" -t "$tag" "$ctx" \
  >/dev/null
ok "image built on $base"

docker run -d --name "$name" -p "127.0.0.1:$port:8080" -p "127.0.0.1:$mport:9000" \
  -e CASTELLAN_ISSUER="$issuer" -v "$name:/data" "$tag" >/dev/null

if ! wait_healthy; then
  not_ok "the health check turns healthy"
  finish
  exit 1
fi
ok "the health check turns healthy"

uid=$(docker exec "$name" sh -c "awk '/^Uid:/ {print \$2}' /proc/1/status") || true
check "the server runs as uid 10001 (is $uid)" test "$uid" = 10001

healthz=$(curl -fsS "http://127.0.0.1:$mport/healthz") || true
check "management /healthz: $healthz" test "$healthz" = '{"status":"ok"}'
readyz=$(curl -fsS "http://127.0.0.1:$mport/readyz") || true
check "management /readyz: $readyz" test "$readyz" = '{"database":true,"keys":true}'
check "management /metrics answers" curl -fsS -o /dev/null "http://127.0.0.1:$mport/metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
check "the main listener has no /metrics ($code)" test "$code" = 404

logs=$(docker logs "$name" 2>&1)
id=$(awk '/client_id:/ {print $2; exit}' <<<"$logs")
secret=$(awk '/client_secret:/ {print $2; exit}' <<<"$logs")
both_set() { [ -n "$1" ] && [ -n "$2" ]; }
check "bootstrap credentials in the log ($id)" both_set "$id" "$secret"

token=$(curl -fsS -u "$id:$secret" -d grant_type=client_credentials \
  "http://127.0.0.1:$port/oauth2/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])') || true
check "a token from POST /oauth2/token" test -n "$token"
iss=$(jwt_payload "$token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["iss"])') || true
check "the token's iss is the issuer ($iss)" test "$iss" = "$issuer"
meta=$(curl -fsS "http://127.0.0.1:$port/.well-known/oauth-authorization-server" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["issuer"])') || true
check "the metadata's issuer is the issuer" test "$meta" = "$issuer"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/admin/v1/clients")
check "the admin API takes the token ($code)" test "$code" = 200

modes=$(docker exec "$name" stat -c '%a %u %n' /data/castellan.db /data/master.key |
  tr '\n' ' ') || true
check "files at rest are 0600 and uid 10001 ($modes)" \
  test "$modes" = "600 10001 /data/castellan.db 600 10001 /data/master.key "
check "sqlite3 takes an online backup" \
  docker exec "$name" sh -c 'sqlite3 /data/castellan.db ".backup /tmp/b.db" &&
    sqlite3 /tmp/b.db "PRAGMA integrity_check" | grep -qx ok'

ready_again() {
  for _ in $(seq 1 60); do
    curl -fs -o /dev/null "http://127.0.0.1:$mport/readyz" && return 0
    sleep 1
  done
  return 1
}
docker restart "$name" >/dev/null
check "ready again after a restart" ready_again
check "healthy again after a restart" wait_healthy
printed=$(docker logs "$name" 2>&1 | grep -c 'client_secret:' || true)
check "no new credentials after the restart (printed $printed time(s) in all)" test "$printed" = 1
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$id:$secret" -d grant_type=client_credentials \
  "http://127.0.0.1:$port/oauth2/token")
check "the same credentials work after the restart ($code)" test "$code" = 200

finish
