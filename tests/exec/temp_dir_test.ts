import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { privateTempDir, removeQuietly } from "../../src/exec/temp_dir.ts";

const MODULE = fileURLToPath(new URL("../../src/exec/temp_dir.ts", import.meta.url));

Deno.test("privateTempDir: a 0700 folder, gone once the process that made it exits", async () => {
  const script = `import { privateTempDir } from ${JSON.stringify(MODULE)};
    const dir = privateTempDir("petit-test-");
    Deno.writeTextFileSync(dir + "/f", "x");
    console.log(dir, (Deno.statSync(dir).mode! & 0o777).toString(8));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const [dir, mode] = new TextDecoder().decode(out.stdout).trim().split(" ");
  assert.match(dir, /petit-test-/);
  assert.equal(mode, "700");
  assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
});

Deno.test("removeQuietly: removes a folder with its files; one already gone is no error", () => {
  const dir = privateTempDir("petit-test-");
  Deno.writeTextFileSync(`${dir}/f`, "x");
  removeQuietly(dir);
  assert.throws(() => Deno.statSync(dir), Deno.errors.NotFound);
  removeQuietly(dir);
});
