/**
 * Checks dist/petit.service with the real `systemd-analyze` (Debian package `systemd`):
 * its sandbox rates "OK" (exposure ≤ 5.0), `verify` finds nothing, and the sandbox still
 * lets Deno and Petit's task spawning work. Ignored where systemd-analyze is not installed.
 */
import assert from "node:assert/strict";

const UNIT = new URL("../../dist/petit.service", import.meta.url);
const MAX_EXPOSURE = 5.0;

/** Whether `systemd-analyze` can be run (found on PATH). */
const HAVE_ANALYZE: boolean = (() => {
  try {
    return new Deno.Command("systemd-analyze", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
})();

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function analyze(...args: string[]): Promise<Output> {
  const out = await new Deno.Command("systemd-analyze", {
    args: ["--no-pager", ...args],
    // Plain ASCII, no colours, "." as the decimal point.
    env: { LC_ALL: "C", SYSTEMD_COLORS: "0", SYSTEMD_PAGER: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** The unit's values of `key` (every `key=` line, comments skipped), in order. */
function unitValues(text: string, key: string): string[] {
  return text.split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

/**
 * Copies the unit into a temp folder with the program of ExecStart replaced by one that
 * exists here (`verify` reports a missing /usr/local/bin/pt), plus `extra` lines appended
 * to [Service]. Returns the copy's path.
 */
async function unitCopy(dir: string, extra = ""): Promise<string> {
  const text = await Deno.readTextFile(UNIT);
  const rewritten = text.replace(
    /^ExecStart=\/usr\/local\/bin\/pt /m,
    `ExecStart=${Deno.execPath()} `,
  )
    .replace(/^\[Install\]$/m, `${extra}[Install]`);
  assert.notEqual(rewritten, text, "ExecStart=/usr/local/bin/pt … not found in the unit");
  const path = `${dir}/petit.service`;
  await Deno.writeTextFile(path, rewritten);
  return path;
}

Deno.test({
  name: "petit.service: systemd-analyze security rates the sandbox at most 5.0",
  ignore: !HAVE_ANALYZE,
  async fn() {
    const out = await analyze("security", "--offline=true", decodeURIComponent(UNIT.pathname));
    assert.equal(out.code, 0, out.stderr);
    // Warnings here are mostly keys this systemd does not know, which it ignores (and
    // would then rate as unset): the rating would not be the unit's.
    assert.equal(out.stderr, "", "systemd-analyze security warned");
    const match = /Overall exposure level for petit\.service: (\d+(?:\.\d+)?) /.exec(out.stdout);
    assert.ok(match, `no overall exposure in:\n${out.stdout}`);
    const exposure = Number(match[1]);
    assert.ok(
      exposure <= MAX_EXPOSURE,
      // In the C locale unmet checks are the lines marked "-".
      `exposure ${exposure} > ${MAX_EXPOSURE}; unmet checks:\n` +
        out.stdout.split("\n").filter((l) => l.startsWith("- ")).join("\n"),
    );
  },
});

Deno.test({
  name: "petit.service: systemd-analyze verify finds nothing",
  ignore: !HAVE_ANALYZE,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "petit-unit-" });
    try {
      const path = await unitCopy(dir);
      const out = await analyze("verify", path);
      assert.equal(out.code, 0, out.stdout + out.stderr);
      assert.equal(out.stdout + out.stderr, "", "systemd-analyze verify reported problems");

      // The same check does see problems (an unknown key is only a warning, exit code 0).
      const bad = await unitCopy(dir, "ProtectNothing=yes\n");
      const badOut = await analyze("verify", bad);
      assert.match(badOut.stdout + badOut.stderr, /Unknown key .*ProtectNothing/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "petit.service: the sandbox keeps what Deno and task spawning need",
  ignore: !HAVE_ANALYZE,
  async fn() {
    const text = await Deno.readTextFile(UNIT);
    // V8's JIT needs writable+executable memory.
    for (const v of unitValues(text, "MemoryDenyWriteExecute")) {
      assert.match(v, /^(no|false|0|off)$/, "MemoryDenyWriteExecute=yes breaks Deno's JIT");
    }

    const filters = unitValues(text, "SystemCallFilter");
    if (filters.length === 0) return;
    // Without an errno a call outside the list kills the process with SIGSYS; Deno makes
    // one at start (pkey_alloc, not in @system-service) and tasks may make others.
    assert.ok(
      unitValues(text, "SystemCallErrorNumber").some((v) => v !== ""),
      "SystemCallFilter= needs SystemCallErrorNumber= (else Deno dies of SIGSYS)",
    );
    assert.ok(filters.every((f) => !f.startsWith("~")), "expected an allow list");

    // Expand the allow list with systemd's own group definitions.
    const out = await analyze("syscall-filter");
    assert.equal(out.code, 0, out.stderr);
    const groups = new Map<string, string[]>();
    let current: string[] | null = null;
    for (const line of out.stdout.split("\n")) {
      if (line.startsWith("@")) groups.set(line.trim(), current = []);
      else if (current && line.trim() !== "" && !line.trim().startsWith("#")) {
        current.push(line.trim());
      }
    }
    const allowed = new Set<string>();
    const add = (name: string) => {
      if (!name.startsWith("@")) return void allowed.add(name);
      const members = groups.get(name);
      assert.ok(members, `unknown syscall group ${name}`);
      members.forEach(add);
    };
    filters.flatMap((f) => f.split(/\s+/)).filter((n) => n !== "").forEach(add);

    // setsid/setpgid: every task runs in its own session and process group (util-linux
    // setsid, or Deno's detached spawn); kill: stopping those groups; mprotect/mmap: the JIT.
    const needed = [
      "setsid",
      "setpgid",
      "getpgid",
      "kill",
      "execve",
      "clone",
      "clone3",
      "wait4",
      "mmap",
      "mprotect",
      "madvise",
      "prctl",
    ];
    const missing = needed.filter((s) => !allowed.has(s));
    assert.deepEqual(missing, [], "SystemCallFilter= refuses calls Petit needs");
  },
});
