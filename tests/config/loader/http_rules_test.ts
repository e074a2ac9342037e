/**
 * Tests of http_rules.ts and the HTTP task fields of the schema: what an HTTP task needs and
 * refuses, positioned; the HttpSpec built from a valid task; and the JSON Schema agreeing with
 * the loader on each case.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatConfigError } from "../../../src/config/errors.ts";
import { jsonSchemaErrors } from "../helpers.ts";
import { assertErrors, load, loadJobTexts, onlyJob, task, yaml } from "./helpers.ts";

/** A job with one task `t` of the given lines. */
function oneTask(...lines: string[]): string {
  return yaml("id: a", "tasks:", "  - id: t", ...lines.map((l) => `    ${l}`));
}

Deno.test("http task: the HttpSpec with its defaults, and with every field", () => {
  const minimal = task(onlyJob(oneTask("type: http", "url: https://example.com/health")), "t");
  assert.equal(minimal.command, null);
  assert.equal(minimal.custom, null);
  assert.deepEqual(minimal.http, {
    url: "https://example.com/health",
    method: "GET",
    headers: {},
    body: null,
    expectStatus: ["2xx"],
  });
  const full = task(
    onlyJob(oneTask(
      "type: http",
      "url: https://example.com/hooks/{{ job.id }}",
      "method: POST",
      "headers: {Content-Type: application/json, X-Count: 3, X-Dry: false}",
      'body: \'{"run": "{{ run.id }}"}\'',
      "expect_status: [2xx, 404]",
      "timeout: 30s",
    )),
    "t",
  );
  assert.deepEqual(full.http, {
    url: "https://example.com/hooks/{{ job.id }}",
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Count": "3", "X-Dry": "false" },
    body: '{"run": "{{ run.id }}"}',
    expectStatus: ["2xx", 404],
  });
  assert.equal(full.timeoutMs, 30_000);
});

Deno.test("http task: url is required, and the fields of programs are refused at their keys", () => {
  assertErrors(load(oneTask("type: http")), [["job.yaml:3:5", 'tasks[0]: type http needs "url"']]);
  assertErrors(
    load(oneTask(
      "type: http",
      "url: https://example.com",
      "command: curl",
      "args: [-s]",
      "script: echo",
      "working_dir: /tmp",
      "environment: {A: b}",
    )),
    [
      ["job.yaml:6:5", '"command" is for tasks that run a program; type http requests "url"'],
      ["job.yaml:7:5", '"args" is for tasks that run a program'],
      ["job.yaml:8:5", '"script" is for tasks that run a program'],
      ["job.yaml:9:5", '"working_dir" is for tasks that run a program'],
      ["job.yaml:10:5", '"environment" is for tasks that run a program', "through templates"],
    ],
  );
});

Deno.test("http task: expect_status takes codes 100 to 599 and classes 1xx to 5xx", () => {
  assertErrors(
    load(oneTask(
      "type: http",
      "url: https://example.com",
      'expect_status: [200, "2xy", 99, 600, true, 200.5, 2XX, 6xx]',
    )),
    [
      ["job.yaml:6:26", "tasks[0].expect_status[1]: must be a status code such as 404 or a class"],
      ["job.yaml:6:33", "tasks[0].expect_status[2] must be a status code from 100 to 599"],
      ["job.yaml:6:37", "tasks[0].expect_status[3] must be a status code from 100 to 599"],
      ["job.yaml:6:42", "tasks[0].expect_status[4]: must be a status code such as 404"],
      ["job.yaml:6:48", "tasks[0].expect_status[5]: must be a status code such as 404"],
      ["job.yaml:6:55", "tasks[0].expect_status[6]: must be a status code such as 404", "2XX"],
      ["job.yaml:6:60", "tasks[0].expect_status[7]: must be a status code such as 404", "6xx"],
    ],
  );
  assertErrors(
    load(oneTask("type: http", "url: https://example.com", "expect_status: []")),
    [["job.yaml:6:20", "tasks[0].expect_status must list at least one status"]],
  );
  assertErrors(
    load(oneTask("type: http", "url: https://example.com", "expect_status: 2xx")),
    [["job.yaml:6:20", 'tasks[0].expect_status must be a list, got string "2xx"']],
  );
});

Deno.test("http task: a URL as written must be http or https; one with templates is not judged", () => {
  assertErrors(
    load(yaml(
      "id: a",
      "tasks:",
      "  - id: ftp",
      "    type: http",
      "    url: ftp://example.com/file",
      "  - id: bare",
      "    type: http",
      "    url: example.com/health",
      "  - id: empty",
      "    type: http",
      '    url: ""',
    )),
    [
      ["job.yaml:5:10", 'tasks[0].url: "ftp://example.com/file" is not an http or https URL'],
      ["job.yaml:8:10", 'tasks[1].url: "example.com/health" is not a URL', "https://"],
      ["job.yaml:11:10", "tasks[2].url must not be empty"],
    ],
  );
  onlyJob(yaml(
    "id: a",
    "config: {base: 'https://example.com'}",
    "tasks:",
    "  - id: t",
    "    type: http",
    "    url: '{{ config.base }}/health'",
  ));
});

Deno.test("http task: GET and HEAD send no body; methods are upper case", () => {
  assertErrors(
    load(yaml(
      "id: a",
      "tasks:",
      "  - id: get",
      "    type: http",
      "    url: https://example.com",
      "    body: x",
      "  - id: head",
      "    type: http",
      "    url: https://example.com",
      "    method: HEAD",
      "    body: x",
      "  - id: lower",
      "    type: http",
      "    url: https://example.com",
      "    method: post",
    )),
    [
      ["job.yaml:6:5", "tasks[0]: method GET sends no body (use POST, PUT, PATCH, DELETE"],
      ["job.yaml:11:5", "tasks[1]: method HEAD sends no body"],
      ["job.yaml:15:13", "tasks[2].method must be one of GET, HEAD, POST", 'got string "post"'],
    ],
  );
});

Deno.test("http task: header names are tokens given once; values hold no line break", () => {
  assertErrors(
    load(oneTask(
      "type: http",
      "url: https://example.com",
      "headers:",
      "  Bad Name: x",
      '  X-Split: "a\\r\\nInjected: yes"',
      "  Accept: text/plain",
      "  accept: application/json",
    )),
    [
      ["job.yaml:7:7", "header names may only contain letters, digits", '"Bad Name"'],
      ["job.yaml:8:16", "tasks[0].headers.X-Split: must not contain a line break"],
      ["job.yaml:10:7", 'tasks[0].headers: "accept" is "Accept" again (header names ignore case)'],
    ],
  );
});

Deno.test("http task: the HTTP fields are refused by other task types", () => {
  assertErrors(
    load(yaml(
      "id: a",
      "tasks:",
      "  - id: t",
      "    command: curl",
      "    url: https://example.com",
      "    method: POST",
      "    expect_status: [200]",
      "  - id: s",
      "    type: shell",
      "    script: echo",
      "    headers: {A: b}",
      "    body: x",
    )),
    [
      ["job.yaml:5:5", 'tasks[0]: "url" is for type: http'],
      ["job.yaml:6:5", 'tasks[0]: "method" is for type: http'],
      ["job.yaml:7:5", 'tasks[0]: "expect_status" is for type: http'],
      ["job.yaml:11:5", 'tasks[1]: "headers" is for type: http'],
      ["job.yaml:12:5", 'tasks[1]: "body" is for type: http'],
    ],
  );
});

Deno.test("http task: templates in url, header values and body must refer to upstream tasks", () => {
  assertErrors(
    load(yaml(
      "id: a",
      "tasks:",
      "  - id: up",
      "    command: echo",
      "  - id: t",
      "    type: http",
      "    method: POST",
      "    url: https://example.com/{{ tasks.up.stdout }}",
      "    headers: {X-Status: '{{ tasks.up.outputs.status }}'}",
      "    body: '{{ config.missing }}'",
    )),
    [
      ["job.yaml:8:30", 'refers to task "up", which is not upstream of "t"'],
      ["job.yaml:9:26", 'refers to task "up", which is not upstream of "t"'],
      ["job.yaml:10:12", 'unknown config key "missing"'],
    ],
  );
});

Deno.test("http task: the JSON Schema and the loader agree", () => {
  const agree = (valid: boolean, cases: Record<string, string>) => {
    for (const [name, text] of Object.entries(cases)) {
      const loader = loadJobTexts([{ file: "job.yaml", text }]).errors.map(formatConfigError);
      const schema = jsonSchemaErrors(text);
      assert.equal(loader.length === 0, valid, `${name}: loader says ${loader.join("; ") || "ok"}`);
      assert.equal(schema.length === 0, valid, `${name}: schema says ${schema.join("; ") || "ok"}`);
    }
  };
  const url = "url: https://example.com";
  agree(false, {
    "no url": oneTask("type: http"),
    "command in an http task": oneTask("type: http", url, "command: curl"),
    "args in an http task": oneTask("type: http", url, "args: [x]"),
    "script in an http task": oneTask("type: http", url, "script: x"),
    "working_dir in an http task": oneTask("type: http", url, "working_dir: /tmp"),
    "environment in an http task": oneTask("type: http", url, "environment: {A: b}"),
    "url in a command task": oneTask("command: echo", url),
    "method in a shell task": oneTask("type: shell", "script: x", "method: GET"),
    "a body with GET": oneTask("type: http", url, "body: x"),
    "a body with HEAD": oneTask("type: http", url, "method: HEAD", "body: x"),
    "method in lower case": oneTask("type: http", url, "method: get"),
    "a status class 2XX": oneTask("type: http", url, "expect_status: [2XX]"),
    "a status 600": oneTask("type: http", url, "expect_status: [600]"),
    "no status": oneTask("type: http", url, "expect_status: []"),
    "a header name with a space": oneTask("type: http", url, "headers: {A B: x}"),
    "an empty url": oneTask("type: http", 'url: ""'),
  });
  agree(true, {
    "a GET": oneTask("type: http", url),
    "a POST with everything": oneTask(
      "type: http",
      url,
      "method: POST",
      "headers: {Content-Type: application/json, X-Retry: 1}",
      "body: '{}'",
      "expect_status: [2xx, 304, 404]",
      "timeout: 10s",
      "retry: {max_attempts: 2, condition: transient_only}",
    ),
    "a DELETE with a body": oneTask("type: http", url, "method: DELETE", "body: x"),
  });
});
