#!/usr/bin/env bash
# `deno task test:arm64`: the test suite under an aarch64 Deno (emulated by qemu on x86-64,
# native on a Raspberry Pi), set up by setup.sh when missing.
#
#   scripts/arm64/test.sh                  the whole `test` task (same flags), under aarch64
#   scripts/arm64/test.sh tests/scenarios/ only these files or folders (the test task's flags)
#
# The suite's timing windows are stretched by PETIT_TEST_TIME_SCALE (tests/time_scale.ts):
# by default 8 under qemu (V8 runs 10-40 times slower there), 1 on real aarch64 hardware.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=setup.sh
source scripts/arm64/setup.sh

if [ "$ARM64_EMULATED" = 1 ]; then
  export PETIT_TEST_TIME_SCALE="${PETIT_TEST_TIME_SCALE:-8}"
fi
echo "test:arm64: $("$ARM64_DENO" --version | head -n 1), PETIT_TEST_TIME_SCALE=${PETIT_TEST_TIME_SCALE:-1}" >&2

started=$SECONDS
if [ $# -eq 0 ]; then
  # `deno task` runs the `deno` of its commands with the Deno that runs the task: aarch64 here.
  "$ARM64_DENO" task test
else
  "$ARM64_DENO" test --allow-read --allow-write --allow-run --allow-env --allow-net --allow-sys \
    --parallel "$@"
fi
echo "test:arm64: done in $((SECONDS - started)) s" >&2
