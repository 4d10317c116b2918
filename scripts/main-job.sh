#!/usr/bin/env bash
# The main job on its embedded default: write the bundled templates' configs with `keepalivedctl init`
# (non-interactive, fixed answers), then validate them: each pair as one cluster, and one node with the
# same engine as keepalived's config test (bin/keepalived -t).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f dist/commands/init.js ] || npx tsc -p tsconfig.json
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0
run() { echo "\$ $*"; "$@" || rc=1; echo; }
run ./bin/keepalivedctl init --yes --template active-backup --out "$out/active-backup" \
  --interface eth0 --vip 192.0.2.100/24 --vrid 51 --auth-pass s3cr3t --peer 192.0.2.11,192.0.2.12 \
  --track-script /usr/bin/true
run ./bin/keepalivedctl init --yes --template lvs-nat --out "$out/lvs-nat" \
  --interface eth0 --vip 198.51.100.10/24 --vrid 60 --auth-pass s3cr3t \
  --real-server 203.0.113.21:80 --real-server 203.0.113.22:80,2 --checker HTTP_GET --check-path /health
echo "== keepalivedctl validate --cluster (two nodes of one pair, cross-checked)"
run ./bin/keepalivedctl validate --cluster "$out/active-backup"
run ./bin/keepalivedctl validate --cluster "$out/lvs-nat"
echo "== the same engine as keepalived's config test: bin/keepalived -t"
./bin/keepalived -t -f "$out/lvs-nat/director1.conf" && echo "keepalived -t: configuration OK" || rc=1
exit $rc
