#!/usr/bin/env bash
# `deno task test:arm64`: the test suite under an aarch64 Deno (emulated by qemu on x86-64,
# native on a Raspberry Pi), set up by setup.sh when missing.
#
#   scripts/arm64/test.sh                  the whole `test` task (its files, flags and doc
#                                          tests, read from deno.json), under aarch64
#   scripts/arm64/test.sh tests/scenarios/ only these files or folders (the test task's flags)
#
# --no-check: type-checking gives the same answer on every target and `deno task check` does it
# natively (CI runs it first); under qemu it would add minutes to every `deno test`.
#
# Under qemu (not on real aarch64 hardware) it sets:
#   PETIT_TEST_TIME_SCALE=8  the suite's timing windows stretched (tests/time_scale.ts): V8 runs
#                            10-40 times slower there, and the emulated processes share the CPUs
#   PETIT_TEST_EMULATED=1    the few tests that see what qemu-user changes (a failed spawn exits
#                            127; an event loop that stalls past a slot) assert the emulated form
#   DENO_JOBS=2              two test files at a time (on 2 cores: 52 min against 64 min one at
#                            a time, README "Running on a Raspberry Pi"); set DENO_JOBS to change it
# Each can be set beforehand to override it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=setup.sh
source scripts/arm64/setup.sh

if [ "$ARM64_EMULATED" = 1 ]; then
  export PETIT_TEST_TIME_SCALE="${PETIT_TEST_TIME_SCALE:-8}"
  export PETIT_TEST_EMULATED="${PETIT_TEST_EMULATED:-1}"
  export DENO_JOBS="${DENO_JOBS:-2}"
fi
echo "test:arm64: $("$ARM64_DENO" --version | head -n 1), PETIT_TEST_TIME_SCALE=${PETIT_TEST_TIME_SCALE:-1}," \
  "PETIT_TEST_EMULATED=${PETIT_TEST_EMULATED:-0}, DENO_JOBS=${DENO_JOBS:-all CPUs}" >&2

started=$SECONDS
if [ $# -eq 0 ]; then
  # The test task as deno.json has it, with --no-check after each `deno test` (read by the
  # `deno` on PATH, native on both kinds of machine). `deno task` runs the `deno` of its
  # commands with the Deno that runs the task: the aarch64 one here.
  task="$(deno eval --quiet '
    const task = JSON.parse(Deno.readTextFileSync("deno.json")).tasks.test;
    const runs = task.split("deno test ").length - 1;
    if (runs === 0) throw new Error("the test task runs no `deno test`");
    console.log(task.replaceAll("deno test ", "deno test --no-check "));
  ')"
  "$ARM64_DENO" task --eval "$task"
else
  "$ARM64_DENO" test --no-check --allow-read --allow-write --allow-run --allow-env --allow-net \
    --allow-sys --parallel "$@"
fi
echo "test:arm64: done in $((SECONDS - started)) s" >&2
