/**
 * `scanTemplate()` and `renderTemplate()`: which `{{ … }}` expressions are Petit's, how each
 * reference parses, and what a reference renders as (misses render empty).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  renderTemplate,
  scanTemplate,
  type TemplateContext,
  type TemplateRef,
} from "../../src/core/template.ts";

/** A finished upstream task as a template sees it. */
type Upstream = TemplateContext["tasks"] extends ReadonlyMap<string, infer T> ? T : never;

/** A context of job `backup`, run `r1`, with `over` applied. */
function context(over: Partial<TemplateContext> = {}): TemplateContext {
  return {
    jobId: "backup",
    runId: "r1",
    config: { host: "db.local", port: 5432, empty: null },
    tasks: new Map<string, Upstream>([
      ["dump", { stdout: "  /tmp/dump.sql\n", exitCode: 0, outputs: { size: "42" } }],
      ["ns.check", { stdout: "ok", exitCode: 3, outputs: {} }],
    ]),
    ...over,
  };
}

/** The reference of the only part of `text`. */
function refOf(text: string): TemplateRef | null {
  const parts = scanTemplate(text);
  assert.equal(parts.length, 1, `one part in ${text}`);
  return parts[0].ref;
}

Deno.test("scanTemplate(): finds nothing in text without braces", () => {
  assert.deepEqual(scanTemplate("echo hello"), []);
  assert.deepEqual(scanTemplate(""), []);
});

Deno.test("scanTemplate(): gives the offsets and trimmed expression of each part", () => {
  const text = "a {{ job.id }} b {{run.id}}";
  const parts = scanTemplate(text);
  assert.equal(parts.length, 2);
  assert.deepEqual(
    parts.map((p) => [p.start, p.end, p.expression]),
    [[2, 14, "job.id"], [17, 27, "run.id"]],
  );
  assert.equal(text.slice(parts[0].start, parts[0].end), "{{ job.id }}");
  assert.ok(parts.every((p) => p.error === null));
});

Deno.test("scanTemplate(): leaves expressions whose first word is not Petit's", () => {
  assert.deepEqual(scanTemplate('docker ps --format "{{.Names}}"'), []);
  assert.deepEqual(scanTemplate("{{ env.HOME }} {{ configs.x }} {{ task.a.stdout }}"), []);
});

Deno.test("scanTemplate(): parses each kind of reference", () => {
  assert.deepEqual(refOf("{{ config.host }}"), { kind: "config", key: "host" });
  assert.deepEqual(refOf("{{ job.id }}"), { kind: "job_id" });
  assert.deepEqual(refOf("{{ run.id }}"), { kind: "run_id" });
  assert.deepEqual(refOf("{{ tasks.dump.stdout }}"), { kind: "stdout", taskId: "dump" });
  assert.deepEqual(refOf("{{ tasks.dump.exit_code }}"), { kind: "exit_code", taskId: "dump" });
  assert.deepEqual(refOf("{{ tasks.dump.outputs.size }}"), {
    kind: "output",
    taskId: "dump",
    key: "size",
  });
});

Deno.test("scanTemplate(): keeps dots in config keys and task ids", () => {
  assert.deepEqual(refOf("{{ config.db.host }}"), { kind: "config", key: "db.host" });
  assert.deepEqual(refOf("{{ tasks.ns.check.stdout }}"), { kind: "stdout", taskId: "ns.check" });
  assert.deepEqual(refOf("{{ tasks.a.b.outputs.k }}"), {
    kind: "output",
    taskId: "a.b",
    key: "k",
  });
});

Deno.test("scanTemplate(): reports a malformed Petit expression with the forms it accepts", () => {
  for (
    const text of [
      "{{ config }}",
      "{{ config. }}",
      "{{ job.name }}",
      "{{ run.started }}",
      "{{ tasks.dump }}",
      "{{ tasks.dump.stderr }}",
      "{{ tasks.stdout }}",
      "{{ tasks.dump.outputs }}",
    ]
  ) {
    const [part] = scanTemplate(text);
    assert.equal(part.ref, null, text);
    assert.match(part.error ?? "", /^unknown template "\{\{ .+ \}\}" \(use config\.KEY, /, text);
    assert.match(part.error ?? "", /job\.id or run\.id\)$/, text);
  }
});

Deno.test("renderTemplate(): returns text without references unchanged", () => {
  const text = 'docker ps --format "{{.Names}}"';
  assert.equal(renderTemplate(text, context()), text);
});

Deno.test("renderTemplate(): replaces every kind of reference", () => {
  const text = "{{ job.id }}/{{ run.id }} {{ config.host }}:{{ config.port }} " +
    "{{ tasks.dump.stdout }} {{ tasks.ns.check.exit_code }} {{ tasks.dump.outputs.size }}";
  assert.equal(renderTemplate(text, context()), "backup/r1 db.local:5432 /tmp/dump.sql 3 42");
});

Deno.test("renderTemplate(): trims stdout of surrounding whitespace", () => {
  assert.equal(renderTemplate("[{{ tasks.dump.stdout }}]", context()), "[/tmp/dump.sql]");
});

Deno.test("renderTemplate(): renders misses as empty strings", () => {
  const ctx = context({
    tasks: new Map<string, Upstream>([["killed", { stdout: "", exitCode: null, outputs: {} }]]),
  });
  const text = "[{{ config.empty }}|{{ config.unknown }}|{{ tasks.skipped.stdout }}|" +
    "{{ tasks.killed.exit_code }}|{{ tasks.killed.outputs.nope }}]";
  assert.equal(renderTemplate(text, ctx), "[||||]");
});

Deno.test("renderTemplate(): renders a malformed expression as an empty string", () => {
  assert.equal(renderTemplate("a{{ job.name }}b", context()), "ab");
});

Deno.test("renderTemplate(): leaves others' expressions between Petit's in place", () => {
  assert.equal(
    renderTemplate("{{ job.id }} {{ .Names }} {{ run.id }}", context()),
    "backup {{ .Names }} r1",
  );
});

Deno.test("renderTemplate(): params.NAME renders the run's value; only own names count", () => {
  assert.deepEqual(refOf("{{ params.day }}"), { kind: "param", name: "day" });
  assert.equal(refOf("{{ params }}"), null);
  assert.equal(refOf("{{ params.a.b }}"), null);
  const ctx = context({ params: { day: "2026-03-01" } });
  assert.equal(renderTemplate("load {{ params.day }}", ctx), "load 2026-03-01");
  assert.equal(renderTemplate("[{{ params.constructor }}]", ctx), "[]");
  assert.equal(renderTemplate("[{{ params.day }}]", context()), "[]");
});
