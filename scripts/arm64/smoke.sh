#!/usr/bin/env bash
# `deno task smoke:arm64`: tests/scenarios/smoke_test.ts under an aarch64 Deno (validate,
# trigger, doctor, a short `pt run` with the API and an every-second job, SIGTERM exits 0),
# then SUBSET below, with setup.sh's emulation when this machine is not aarch64. CI runs it
# after `deno task test`. Together they touch every folder of src/ (README "Running on a
# Raspberry Pi" names them); the whole suite under emulation does not fit CI's time.
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
# One quick test file per src/ folder the smoke scenario does not reach far into; the setsid
# stub's test runs its aarch64 machine code natively here.
SUBSET=(
  tests/api/shape_test.ts
  tests/config/yaml_doc_test.ts
  tests/core/graph_test.ts
  tests/core/template_test.ts
  tests/events/bus_test.ts
  tests/exec/process/setsid_stub_test.ts
  tests/notify/payload_test.ts
  tests/schedule/day_fields_test.ts
  tests/scheduler/clock_test.ts
  tests/storage/storage_records_test.ts
  tests/testing/manual_clock_test.ts
  tests/tui/render_test.ts
  tests/ui/schedule_words_test.ts
)
echo "smoke:arm64: $("$ARM64_DENO" --version | head -n 1), setup took $((SECONDS - started)) s" >&2
flags=(--no-check --allow-read --allow-write --allow-run --allow-env --allow-net --allow-sys)
# The smoke scenario alone first: its every-second job should not share the CPUs.
"$ARM64_DENO" test "${flags[@]}" tests/scenarios/smoke_test.ts
"$ARM64_DENO" test "${flags[@]}" --parallel "${SUBSET[@]}"
echo "smoke:arm64: done in $((SECONDS - started)) s" >&2
