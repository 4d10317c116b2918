#!/usr/bin/env bash
# The main job on its embedded default: validate the bundled example configs, the pair as one cluster.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f dist/commands/validate.js ] || npx tsc -p tsconfig.json
rc=0
echo "== keepalivedctl validate --cluster templates/active-backup   (two nodes of one pair, cross-checked)"
./bin/keepalivedctl validate --cluster templates/active-backup || rc=1
echo
echo "== keepalivedctl validate templates/lvs-nat/director.conf"
./bin/keepalivedctl validate templates/lvs-nat/director.conf || rc=1
echo
echo "== the same engine as keepalived's config test: bin/keepalived -t"
./bin/keepalived -t -f templates/lvs-nat/director.conf && echo "keepalived -t: configuration OK" || rc=1
exit $rc
