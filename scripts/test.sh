#!/usr/bin/env bash
# `npm test`, the README's test command and what CI runs: typecheck, build, then every test file
# (unit and integration, two at a time) against the built CLI (dist/, what the package ships),
# then how long each phase took. Per-file times come from test/helpers/timings-reporter.ts.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
phase() { printf '  %-10s %5ss  %s\n' "$1" "$2" "$3"; }
start=$SECONDS
npm run --silent typecheck
tc=$?
tc_s=$((SECONDS - start))
if [ "$tc" -ne 0 ]; then phase typecheck "$tc_s" FAILED; exit "$tc"; fi
start=$SECONDS
npm run --silent build
bc=$?
b_s=$((SECONDS - start))
if [ "$bc" -ne 0 ]; then phase build "$b_s" FAILED; exit "$bc"; fi
start=$SECONDS
SHIPPROOF_TEST_CLI=dist npx vitest run "$@"
rc=$?
echo "== npm test phases"
phase typecheck "$tc_s" ok
phase build "$b_s" ok
phase tests "$((SECONDS - start))" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)"
exit "$rc"
