import assert from "node:assert/strict";
import { jobJsonSchema } from "../../src/config/schema.ts";

Deno.test("dist/job.schema.json is the schema pt schema prints (run `deno task schema`)", async () => {
  const committed = JSON.parse(
    await Deno.readTextFile(new URL("../../dist/job.schema.json", import.meta.url)),
  );
  assert.deepEqual(committed, jobJsonSchema());
});

Deno.test("the JSON Schema describes every job and task field", () => {
  const schema = jobJsonSchema() as {
    properties: Record<string, unknown>;
    required: string[];
  };
  for (const key of ["id", "schedule", "timezone", "tasks", "depends_on", "catchup"]) {
    assert.ok(key in schema.properties, key);
  }
  assert.deepEqual(schema.required.sort(), ["id", "tasks"]);
});
