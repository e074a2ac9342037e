/**
 * The setsid stub's machine code, run for real: natively for this machine's architecture,
 * through `qemu-<arch>-static` for the other one (`.ci/run` installs qemu-user-static).
 * Each variant must start the program in a new session and group, pass arguments and the
 * environment unchanged, run a script without `#!` with /bin/sh, and exit 127 for a program
 * that cannot run.
 */

import assert from "node:assert/strict";
import { groupLeaderProgram } from "../../../src/exec/process/groups.ts";
import { runProcess } from "../../../src/exec/process/spawn.ts";
import { installSetsidStub, setsidStubElf } from "../../../src/exec/process/setsid_stub.ts";

/** How to run an ELF of `arch` here: directly, through qemu-user, or not at all. */
function runnerFor(arch: string): string[] | null {
  if (arch === Deno.build.arch) return [];
  for (const dir of ["/usr/bin", "/usr/local/bin"]) {
    const qemu = `${dir}/qemu-${arch}-static`;
    try {
      if (Deno.statSync(qemu).isFile) return [qemu];
    } catch {
      // Not installed there.
    }
  }
  return null;
}

async function run(
  runner: string[],
  stub: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  const [program, ...pre] = [...runner, stub];
  const out = await new Deno.Command(program, {
    args: [...pre, ...args],
    env: { PATH: "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout).trim() };
}

for (const arch of ["x86_64", "aarch64"]) {
  const runner = runnerFor(arch);
  Deno.test({
    name: `setsid stub (${arch}): new session, arguments, environment, sh fallback, 127`,
    ignore: runner === null,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "petit-stub-test-" });
      try {
        const stub = `${dir}/setsid`;
        await Deno.writeFile(stub, setsidStubElf(arch)!, { mode: 0o700 });

        // pid, group and session of the shell the stub started (fields 1, 5 and 6).
        const ids = await run(runner!, stub, [
          "/bin/sh",
          "-c",
          'read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo "$pid $pgrp $sid"',
        ]);
        assert.equal(ids.code, 0);
        const [pid, pgrp, sid] = ids.stdout.split(" ").map(Number);
        assert.ok(pid > 1);
        assert.deepEqual([pgrp, sid], [pid, pid], "leads its own group and session");

        const passed = await run(
          runner!,
          stub,
          ["/bin/sh", "-c", 'printf "%s|" "$0" "$1" "$PETIT_X"', "a b", "c"],
          { PETIT_X: "x=1" },
        );
        assert.deepEqual(passed, { code: 0, stdout: "a b|c|x=1|" });

        const script = `${dir}/no_shebang`;
        await Deno.writeTextFile(script, 'echo "sh ran $0 with $1"; exit 3\n', { mode: 0o700 });
        assert.deepEqual(await run(runner!, stub, [script, "arg"]), {
          code: 3,
          stdout: `sh ran ${script} with arg`,
        });

        assert.equal((await run(runner!, stub, [`${dir}/missing`])).code, 127);
        assert.equal((await run(runner!, stub, [])).code, 127, "no program at all");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("setsid stub: none for an architecture without code", () => {
  assert.equal(setsidStubElf("riscv64"), null);
});

Deno.test("installSetsidStub: a checked stub in a private folder; folders of gone processes removed", () => {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  // A pid above the kernel's maximum (4,194,304) never runs.
  const stale = `${tmp}/petit-setsid-9999999-test`;
  Deno.mkdirSync(stale);
  const path = installSetsidStub();
  try {
    assert.ok(path !== null, "the stub installs here");
    const dir = path.slice(0, path.lastIndexOf("/"));
    assert.match(dir, new RegExp(`/petit-setsid-${Deno.pid}-[^/]+$`));
    assert.equal(Deno.statSync(dir).mode! & 0o777, 0o700);
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o700);
    assert.throws(() => Deno.statSync(stale), Deno.errors.NotFound, "the stale folder is gone");
  } finally {
    if (path !== null) Deno.removeSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    try {
      Deno.removeSync(stale);
    } catch {
      // Removed by the install, as it should be.
    }
  }
});

Deno.test("groupLeaderProgram: the stub unless PETIT_SETSID_STUB=0", async () => {
  assert.match(groupLeaderProgram() ?? "", /\/petit-setsid-\d+-[^/]+\/setsid$/);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { groupLeaderProgram } from "${
        new URL("../../../src/exec/process/groups.ts", import.meta.url).href
      }"; console.log(groupLeaderProgram());`,
    ],
    env: { PETIT_SETSID_STUB: "0" },
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.match(new TextDecoder().decode(out.stdout).trim(), /^\/(usr\/)?bin\/setsid$/);
});

Deno.test("a stub removed from under a running pt is written again by the next spawn", async () => {
  const first = groupLeaderProgram();
  assert.ok(first !== null && first.includes("/petit-setsid-"));
  Deno.removeSync(first.slice(0, first.lastIndexOf("/")), { recursive: true });
  const result = await runProcess({
    program: "sh",
    args: ["-c", 'read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo "$pid $sid"'],
    env: { PATH: "/usr/bin:/bin" },
  });
  assert.equal(result.startError, null);
  assert.equal(result.exitCode, 0);
  const [pid, sid] = result.stdout.trim().split(" ");
  assert.equal(sid, pid, "still the leader of its own session");
  const second = groupLeaderProgram();
  assert.ok(second !== null && second !== first, "a new stub");
  assert.ok(Deno.statSync(second).isFile);
});
