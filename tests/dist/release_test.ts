/**
 * `deno task release` (scripts/release.ts): the binaries get the `compile` task's flags, and a
 * builder without the denort runtimes is told where to put them, before anything is built.
 * (Building needs the runtimes, which this machine cannot download: not run here.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compileFlags, denortZip, TARGETS } from "../../scripts/release.ts";
import meta from "../../deno.json" with { type: "json" };
import { BUNDLE_DIR, BUNDLE_ENTRY } from "../../scripts/tasks.ts";

const RELEASE = fileURLToPath(new URL("../../scripts/release.ts", import.meta.url));

Deno.test("compileFlags: the compile task's permissions, V8 flags and includes, without its output", () => {
  const { flags, entry } = compileFlags(meta.tasks.compile.command);
  assert.equal(entry, BUNDLE_ENTRY);
  assert.deepEqual(meta.tasks.compile.dependencies, ["bundle"]);
  for (const name of ["read", "write", "run", "env", "net", "sys"]) {
    assert.ok(flags.includes(`--allow-${name}`), `--allow-${name} in ${flags.join(" ")}`);
  }
  assert.ok(
    flags.some((f) => f.startsWith("--v8-flags=--max-semi-space-size=2,")),
    flags.join(" "),
  );
  const at = flags.indexOf("--include");
  assert.equal(flags[at + 1], `${BUNDLE_DIR}/config/loader/parse_worker.js`);
  assert.ok(flags.includes("--no-code-cache"), flags.join(" "));
  assert.ok(!flags.some((f) => f.startsWith("--output") || f.startsWith("--target")));
  assert.ok(!flags.includes("-A") && !flags.includes("--allow-all"), "never -A");
  assert.throws(() => compileFlags("deno run src/main.ts"), /not "deno compile/);
});

Deno.test("the pt, run, install and compile tasks give the bundle the same V8 flags", () => {
  const v8Flags = (command: string) => command.split(/\s+/).filter((w) => w.startsWith("--v8-"));
  const { pt, run, install, compile } = meta.tasks;
  const expected = v8Flags(pt.command);
  // No optimizing compilers: −10 MiB at a big run's peak, −14 MiB under steady load (issue 11).
  assert.match(expected.join(" "), /,--disable-optimizing-compilers\b/);
  for (
    const [name, task] of Object.entries({
      run,
      install,
      compile,
      arm64: meta.tasks["compile:arm64"],
    })
  ) {
    assert.deepEqual(v8Flags(task.command), expected, `the ${name} task's V8 flags`);
  }
});

Deno.test("release --offline: without the denort zips it fails at once and names where they go", async () => {
  const denoDir = await Deno.makeTempDir({ prefix: "petit-release-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-env",
        RELEASE,
        "--offline",
      ],
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /deno compile needs a denort runtime per target/);
    for (const target of TARGETS) {
      const zip = denortZip(denoDir, Deno.version.deno, target);
      assert.equal(zip, `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`);
      assert.ok(stderr.includes(`  ${zip}`), stderr);
    }
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});
