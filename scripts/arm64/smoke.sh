#!/usr/bin/env bash
# `deno task smoke:arm64`: tests/scenarios/smoke_test.ts under an aarch64 Deno (validate,
# trigger, doctor, a short `pt run` with the API and an every-second job, SIGTERM exits 0),
# with setup.sh's emulation when this machine is not aarch64. CI runs it after `deno task test`.
#
# --no-check: the same files were type-checked natively (`deno task check`); checking them
# again under qemu would take minutes. Timing windows are stretched, and emulation flagged
# (PETIT_TEST_EMULATED), as in test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
# shellcheck source=setup.sh
source scripts/arm64/setup.sh
if [ "$ARM64_EMULATED" = 1 ]; then
  export PETIT_TEST_TIME_SCALE="${PETIT_TEST_TIME_SCALE:-8}"
  export PETIT_TEST_EMULATED="${PETIT_TEST_EMULATED:-1}"
fi
echo "smoke:arm64: $("$ARM64_DENO" --version | head -n 1), setup took $((SECONDS - started)) s" >&2
"$ARM64_DENO" test --no-check --allow-read --allow-write --allow-run --allow-env --allow-net \
  --allow-sys tests/scenarios/smoke_test.ts
echo "smoke:arm64: done in $((SECONDS - started)) s" >&2
