/**
 * The generated OpenAPI document: it names exactly the routes the app serves, says which
 * need the token as the app enforces it, and passes Redocly's recommended rules.
 *
 * The lint runs `npm:@redocly/cli` under Deno rather than `npx`: Deno fetches the package
 * from the npm registry on an empty cache like any npm import, needs no Node (Redocly's next
 * releases drop Node 20, which `npx` here would use), and runs it without network, write or
 * subprocess permissions: it reads only the document's folder and Deno's npm cache, so its
 * usage telemetry cannot go out either. Measured here: 1.6 s on an empty cache (about 20 MB
 * fetched), 0.9 s warm; `npx --yes @redocly/cli@2.77.0 lint` took 1.7–2.3 s and 1.2 s.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createApp } from "../../src/api/app.ts";
import { honoPath } from "../../src/api/contract.ts";
import { type OpenApiDocument, openApiDocument } from "../../src/api/openapi.ts";
import { ROUTES } from "../../src/api/route_table.ts";
import { VERSION } from "../../src/version.ts";
import { startHarness } from "./helpers.ts";

/** The Redocly CLI version the lint uses (pinned: a new version may add rules). */
const REDOCLY = "npm:@redocly/cli@2.77.0";

/**
 * Warnings of the recommended rules that stay, with why. `info-license-strict` wants a
 * license `url` or SPDX `identifier`: the project states no license, so `UNLICENSED` has
 * neither, and inventing one would say something untrue.
 */
const ACCEPTED_WARNINGS = ["info-license-strict"];

Deno.test("openApiDocument: names exactly the routes the app serves", async () => {
  const h = await startHarness();
  try {
    // h.json checks the served document against OpenApiDocumentSchema too.
    const served = await h.json<OpenApiDocument>("/api/openapi.json");
    assert.equal(served.status, 200);
    assert.equal(served.body.openapi, "3.1.0");
    assert.equal(served.body.info.version, VERSION);
    assert.deepEqual(served.body, JSON.parse(JSON.stringify(openApiDocument(ROUTES))));

    const app = createApp({ scheduler: h.scheduler, engine: h.engine });
    const routes = new Set(
      app.routes
        .filter((r) => r.method === "GET" || r.method === "POST")
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(served.body.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
      ),
    );
    assert.deepEqual([...documented].sort(), [...routes].sort());
    // Every $ref resolves.
    const text = JSON.stringify(served.body);
    for (const [, kind, name] of text.matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
      const section = served.body.components[kind as "schemas" | "responses"];
      assert.ok(section?.[name], `missing ${kind} ${name}`);
    }
  } finally {
    await h.close();
  }
});

Deno.test("openApiDocument: a route needs the token exactly when its document says so", async () => {
  const h = await startHarness({ token: "s3cret" });
  try {
    const doc = openApiDocument(ROUTES);
    const app = createApp({ scheduler: h.scheduler, engine: h.engine, token: "s3cret" });
    const open: string[] = [];
    for (const [id, route] of Object.entries(ROUTES)) {
      const op = doc.paths[route.path][route.method]!;
      const documentedOpen = Array.isArray(op.security) && op.security.length === 0;
      assert.equal(documentedOpen, !route.auth, id);
      const path = honoPath(route).replace(/:\w+/g, "x");
      const res = await app.request(path, { method: route.method.toUpperCase() });
      await res.body?.cancel();
      assert.equal(res.status === 401, route.auth, `${id}: ${res.status}`);
      if (!route.auth) open.push(route.path);
    }
    assert.deepEqual(open.sort(), ["/", "/api/health"]);
  } finally {
    await h.close();
  }
});

/** Deno's cache folder (where npm packages are unpacked). */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

interface LintProblem {
  ruleId: string;
  severity: "error" | "warn";
  message: string;
  location: { pointer: string }[];
}

Deno.test("openApiDocument: Redocly's recommended rules find no error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-openapi-" });
  try {
    await Deno.writeTextFile(
      `${dir}/openapi.json`,
      JSON.stringify(openApiDocument(ROUTES), null, 2),
    );
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        `--allow-read=${dir},${await denoDir()}/npm`,
        "--allow-env",
        "--allow-sys",
        REDOCLY,
        "lint",
        "--extends=recommended",
        "--format=json",
        "openapi.json",
      ],
      cwd: dir,
      env: { REDOCLY_TELEMETRY: "off", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    let report: { totals: { errors: number; warnings: number }; problems: LintProblem[] };
    try {
      report = JSON.parse(stdout);
    } catch {
      throw new Error(`redocly lint gave no report (exit ${out.code}):\n${stderr}${stdout}`);
    }
    const line = (p: LintProblem) =>
      `  ${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`;
    console.log(
      `redocly lint (${REDOCLY}, ${seconds} s): ${report.totals.errors} errors, ` +
        `${report.totals.warnings} warnings\n${report.problems.map(line).join("\n")}`,
    );
    const errors = report.problems.filter((p) => p.severity === "error");
    assert.deepEqual(errors.map(line), [], "the document has errors");
    const warnings = report.problems.filter((p) => p.severity !== "error").map((p) => p.ruleId);
    assert.deepEqual([...new Set(warnings)].sort(), ACCEPTED_WARNINGS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
