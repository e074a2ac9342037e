import assert from "node:assert/strict";
import { ROUTES } from "../../src/api/route_table.ts";
import { expectAnswerShape, expectShape } from "./shape.ts";

const run = {
  id: "r1",
  job_id: "quick",
  status: "completed",
  trigger: "api",
  started_at: 1,
  ended_at: 2,
  duration_ms: 1,
  error: null,
  reason: null,
  scheduled_for: null,
  retry_of: null,
  params: {},
  parent_run_id: null,
};

Deno.test("expectShape: accepts an answer as its route declares it", () => {
  expectShape(ROUTES.listRuns, 200, { runs: [run], count: 1, next_cursor: null });
  expectShape(ROUTES.getRun, 404, { error: "unknown run id", code: "NOT_FOUND" });
  expectShape(ROUTES.taskLogs, 200, "==> first (attempt 1) stdout <==\n", "text/plain");
});

Deno.test("expectShape: rejects undeclared fields, statuses, codes and media types", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () =>
        expectShape(ROUTES.listRuns, 200, {
          runs: [{ ...run, extra: 1 }],
          count: 1,
          next_cursor: null,
        }),
      /does not match/,
    ],
    [() => expectShape(ROUTES.listRuns, 200, { runs: [{ ...run, status: "done" }] }), /match/],
    [() => expectShape(ROUTES.listJobs, 404, { error: "x", code: "NOT_FOUND" }), /declares no 404/],
    [() => expectShape(ROUTES.health, 401, { error: "x", code: "UNAUTHORIZED" }), /no 401/],
    [() => expectShape(ROUTES.getRun, 404, { error: "x", code: "CONFLICT" }), /carries code/],
    [() => expectShape(ROUTES.getRun, 200, "text", "text/plain"), /no 200 text\/plain/],
  ];
  for (const [check, message] of cases) assert.throws(check, message);
});

Deno.test("expectAnswerShape: finds the route of a path, query and all", () => {
  expectAnswerShape("GET", "/api/jobs/quick/runs?limit=1", 200, {
    runs: [],
    count: 0,
    next_cursor: null,
  });
  assert.throws(
    () => expectAnswerShape("GET", "/api/jobs/quick/runs?limit=1", 200, { runs: [] }),
    /GET \/api\/jobs\/\{id\}\/runs 200/,
  );
  // No route: the JSON 404 (or 401) of an unknown route.
  expectAnswerShape("GET", "/api/nope", 404, {
    error: "no route GET /api/nope",
    code: "NOT_FOUND",
  });
  assert.throws(() => expectAnswerShape("GET", "/api/nope", 200, {}), /no route/);
});
