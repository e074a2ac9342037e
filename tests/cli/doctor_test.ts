/**
 * `pt doctor` as a real subprocess: all checks pass with the project's permissions, a bad
 * database path and missing permissions are FAIL lines with exit 1, and nothing is created.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  concurrently,
  type Exit,
  PT_MAIN,
  type Sandbox,
  withSandbox,
} from "../scenarios/helpers.ts";

/** The check lines of `pt doctor`'s output, by label: "ok" or "FAIL" and the detail. */
function checks(stdout: string): Map<string, { ok: boolean; detail: string }> {
  const found = new Map<string, { ok: boolean; detail: string }>();
  for (const line of stdout.split("\n")) {
    const m = /^(ok|FAIL) +([^:]+): (.*)$/.exec(line);
    if (m) found.set(m[2], { ok: m[1] === "ok", detail: m[3] });
  }
  return found;
}

function show(exit: Exit): string {
  return `exit ${exit.code}\n--- stdout\n${exit.stdout}\n--- stderr\n${exit.stderr}`;
}

async function allPass(sb: Sandbox): Promise<void> {
  const exit = await sb.cli(["doctor"]);
  assert.equal(exit.code, 0, show(exit));
  const found = checks(exit.stdout);
  for (
    const label of [
      "petit",
      "deno",
      "permission read",
      "permission write",
      "permission run",
      "permission env",
      "permission net",
      "permission sys",
      "database",
      "sqlite",
      "ps",
      "setsid",
      "time zones",
      "api",
    ]
  ) {
    assert.equal(found.get(label)?.ok, true, `${label}\n${show(exit)}`);
  }
  assert.ok(found.get("deno")!.detail.endsWith(Deno.build.target), show(exit));
  assert.match(exit.stdout, /^all checks passed$/m);
  // The default database (under the sandbox's XDG_DATA_HOME) could be created, and was not.
  assert.match(found.get("database")!.detail, /xdg-data\/petit\/petit\.db can be created/);
  assert.deepEqual([...Deno.readDirSync(sb.dir)].map((e) => e.name).sort(), ["jobs"]);
}

async function badDatabase(sb: Sandbox): Promise<void> {
  const missing = await sb.cli(["doctor", "--db", `${sb.dir}/nowhere/petit.db`]);
  assert.equal(missing.code, 1, show(missing));
  assert.deepEqual(checks(missing.stdout).get("database"), {
    ok: false,
    detail: `database folder not found: ${sb.dir}/nowhere (create it first)`,
  });
  assert.match(missing.stdout, /^1 check\(s\) failed$/m);

  await Deno.writeFile(sb.db, new Uint8Array());
  const there = await sb.cli(["doctor", "--db", sb.db]);
  assert.equal(there.code, 0, show(there));
  assert.equal(checks(there.stdout).get("database")?.detail, `${sb.db} exists and is writable`);
}

async function fewPermissions(sb: Sandbox): Promise<void> {
  // No prompt: stdin is not a terminal, and the checks only query permissions.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", PT_MAIN, "doctor", "--db", sb.db],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const exit = {
    code: out.code,
    signal: null,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
  assert.equal(exit.code, 1, show(exit));
  const found = checks(exit.stdout);
  assert.equal(found.get("permission read")?.ok, true);
  assert.deepEqual(found.get("permission net"), {
    ok: false,
    detail: "not granted (run with --allow-net)",
  });
  assert.deepEqual(found.get("database"), {
    ok: false,
    detail: "not checked: needs --allow-write",
  });
  assert.deepEqual(found.get("api"), { ok: false, detail: "not checked: needs --allow-net" });
  assert.equal(found.get("time zones")?.ok, true, show(exit));
  assert.match(exit.stdout, /^8 check\(s\) failed$/m);
}

Deno.test("pt doctor: ok and FAIL lines, exit 0 only when every check passes", async (t) => {
  await concurrently(t, {
    "every check passes with the project's permissions; no database is created": (_t) =>
      withSandbox(allPass),
    "a missing database folder fails; an existing database file passes": (_t) =>
      withSandbox(badDatabase),
    "missing permissions are FAIL lines, and what needs them is not checked": (_t) =>
      withSandbox(fewPermissions),
  });
});
