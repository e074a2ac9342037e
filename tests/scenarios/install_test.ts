/**
 * `deno task install` puts a working `pt` on PATH with the `pt` task's permissions and V8
 * flags (never -A), and the README's first commands work with it against `jobs/`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function sh(cmd: string, args: string[], env: Record<string, string>, cwd = ROOT) {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("deno task install: pt on PATH with the pt task's permissions and flags", async () => {
  const root = await Deno.makeTempDir({ prefix: "petit-install-" });
  try {
    const env = {
      DENO_INSTALL_ROOT: root,
      NO_COLOR: "1",
      XDG_DATA_HOME: `${root}/data`,
      XDG_CONFIG_HOME: `${root}/config`,
    };
    const install = await sh(Deno.execPath(), ["task", "install"], env);
    assert.equal(install.code, 0, install.stderr);

    const script = await Deno.readTextFile(`${root}/bin/pt`);
    const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks;
    // The pt task's permissions and V8 flags (`deno install` takes no --no-code-cache).
    const flags = (tasks.pt.command as string).split(" ")
      .filter((w) => w.startsWith("--allow-") || w.startsWith("--v8-flags="));
    assert.ok(flags.length >= 7, flags.join(" "));
    assert.match(script, /dist\/pt\/main\.js/, "the bundle");
    for (const flag of flags) assert.ok(script.includes(flag), `${flag} missing in\n${script}`);
    assert.doesNotMatch(script, / -A | --allow-all/);

    // As a person would: `pt` found on PATH, from another folder.
    const path = `${root}/bin:${Deno.env.get("PATH") ?? ""}`;
    const version = await sh("pt", ["--version"], { ...env, PATH: path }, root);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    const validate = await sh("pt", ["validate", `${ROOT}/jobs`], { ...env, PATH: path }, root);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /^ok: \d+ jobs valid/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
