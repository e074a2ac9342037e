/**
 * The bundle (`deno task bundle`, what the `pt`, `run`, `install` and `compile` tasks run)
 * works as the sources do where the layout matters: commands whose modules load lazily, the
 * loader process and the parse workers it starts from its own entry, and the API's routes and
 * web UI loaded on the first request.
 *
 * @module
 */

import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import meta from "../../deno.json" with { type: "json" };
import { waitUntil, withSandbox } from "../scenarios/helpers.ts";
import { buildBundle } from "./bundle.ts";
import { runFlags } from "../../scripts/tasks.ts";

const PT_FLAGS = runFlags(meta.tasks.pt);

function job(id: string): string {
  return [`id: ${id}`, "tasks:", "  - id: t", `    command: "true"`, ""].join("\n");
}

/** Runs the bundled `pt` with `args` to its end. */
async function pt(main: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PT_FLAGS, main, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("bundle: the commands, the loader process, parse workers and the API run from it", () =>
  withSandbox(async (sb) => {
    const main = await buildBundle(`${sb.dir}/bundle`);
    const env = { HOME: sb.dir, XDG_CONFIG_HOME: `${sb.dir}/config`, NO_COLOR: "1" };

    const help = await pt(main, ["--help"], env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /validate/);

    // 220 files: the loader starts parse workers (from 200 files), found from the bundle.
    const many = `${sb.dir}/many`;
    await Deno.mkdir(many);
    for (let i = 0; i < 220; i++) await Deno.writeTextFile(`${many}/j${i}.yaml`, job(`j${i}`));
    const validate = await pt(main, ["validate", many], env);
    assert.equal(validate.code, 0, validate.stderr);
    assert.match(validate.stdout, /^ok: 220 jobs valid/);
    // (A worker that fails is replaced by the loader's own thread: so start one here too.)
    const worker = new Worker(new URL("./config/loader/parse_worker.js", pathToFileURL(main)), {
      type: "module",
    });
    try {
      const analyzed = await new Promise<unknown[]>((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<unknown[]>) => resolve(e.data);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(e.message));
        };
        const counter = new Int32Array(new SharedArrayBuffer(4)).buffer;
        worker.postMessage({ files: [`${many}/j0.yaml`, `${many}/j1.yaml`], counter });
      });
      assert.equal(analyzed.length, 2);
    } finally {
      worker.terminate();
    }

    // `pt run`: the loader process is the bundle too, at start and on a reload.
    const jobs = `${sb.dir}/live`;
    await Deno.mkdir(jobs);
    await Deno.writeTextFile(`${jobs}/first.yaml`, job("first"));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PT_FLAGS, main, "run", jobs, "--db", sb.db, "--api-port", "0", "-q"],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    sb.track(child.pid);
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let printed = "";
      while (!printed.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        printed += value;
      }
      reader.releaseLock();
      const url = printed.trim();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

      const ids = async () => {
        const res = await fetch(`${url}/api/jobs`);
        const body = await res.json() as { jobs: { id: string }[] } | { id: string }[];
        const list = Array.isArray(body) ? body : body.jobs;
        return list.map((j) => j.id).sort();
      };
      assert.deepEqual(await ids(), ["first"]);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);

      await Deno.writeTextFile(`${jobs}/second.yaml`, job("second"));
      await waitUntil("the reloaded job", async () => (await ids()).includes("second"), 20_000);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
  }));
