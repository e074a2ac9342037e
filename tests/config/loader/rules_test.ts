/**
 * Tests of rules.ts: the per-job checks (task ids and dependencies, task types, schedules
 * and time zones, template references, the job's own dependency entries).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  assertErrorList,
  assertErrors,
  commandOf,
  load,
  loadJobTexts,
  onlyJob,
  task,
  TASKS,
  yaml,
} from "./helpers.ts";

Deno.test("errors: duplicate task id points at the second one", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "  - id: x",
    "    command: echo",
  ));
  assertErrors(result, [["job.yaml:5:9", 'duplicate task id "x"', "first defined on line 3"]]);
});

Deno.test("errors: dependency on self, on an unknown task (known ones sorted), repeated", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "    depends_on: [x]",
    "  - id: y",
    "    command: echo",
    "    depends_on: [nothere, x, x]",
    "  - id: b",
    "    command: echo",
  ));
  assertErrors(result, [
    ["job.yaml:5:18", 'task "x" depends on itself'],
    ["job.yaml:8:18", 'task "y" depends on unknown task "nothere"', "(known tasks: b, x, y)"],
    ["job.yaml:8:30", 'task "y" lists dependency "x" twice'],
  ]);
});

Deno.test("errors: task cycle is printed as a path", () => {
  const result = load(yaml(
    "id: j",
    "tasks:",
    "  - id: a",
    "    command: echo",
    "    depends_on: [c]",
    "  - id: b",
    "    command: echo",
    "    depends_on: [a]",
    "  - id: c",
    "    command: echo",
    "    depends_on: [b]",
    "  - id: d",
    "    command: echo",
    "    depends_on: [a]",
  ));
  assertErrors(result, [["job.yaml:5:17", "task dependency cycle: a -> c -> b -> a"]]);
});

Deno.test("errors: two-task cycle", () => {
  const result = load(yaml(
    "id: j",
    "tasks:",
    "  - id: a",
    "    command: echo",
    "    depends_on: [b]",
    "  - id: b",
    "    command: echo",
    "    depends_on: [a]",
  ));
  assertErrors(result, [["job.yaml:5:17", "task dependency cycle: a -> b -> a"]]);
});

Deno.test("errors: type-specific rules", () => {
  const result = load(yaml(
    "id: a",
    "tasks:",
    "  - id: s",
    "    type: shell",
    "  - id: c",
    "    command: echo",
    "    script: hi",
    "  - id: i",
    "    type: shell",
    "    script: echo",
    "    inline: true",
    "  - id: t",
    "    command: echo",
    "    timeout: 5m",
    "    timeout_secs: 3",
    "  - id: p",
    "    type: python",
    "    script: print(1)",
    "    command: python3",
  ));
  assertErrors(result, [
    ["job.yaml:3:5", "tasks[0]", 'type shell needs "script"'],
    ["job.yaml:7:5", "tasks[1]", '"script" needs type: shell or type: python'],
    ["job.yaml:11:5", "tasks[2]", '"inline" is for type: python'],
    ["job.yaml:14:5", "tasks[3]", "either timeout or timeout_secs"],
    ["job.yaml:19:5", "tasks[4]", '"command" is for type: command'],
  ]);
});

Deno.test("errors: a command task without command", () => {
  const result = load(yaml("id: a", "tasks:", "  - id: x", "    args: [1]"));
  assertErrors(result, [["job.yaml:3:5", 'a command task needs "command"']]);
});

Deno.test("errors: an unknown task in a big job lists the first known tasks only", () => {
  const tasks = Array.from(
    { length: 25 },
    (_, i) => [`  - id: t${String(i).padStart(2, "0")}`, "    command: echo"],
  ).flat();
  const result = load(
    yaml(
      "id: a",
      "tasks:",
      ...tasks,
      "  - id: last",
      "    command: echo",
      "    depends_on: [ghost]",
    ),
  );
  assertErrors(result, [[
    "job.yaml:55:18",
    'unknown task "ghost"',
    "(known tasks: last, t00, t01,",
    "t18, … and 6 more)",
  ]]);
});

// ---- schedules ----

Deno.test("errors: schedule with the wrong number of fields says how many", () => {
  assertErrors(load(yaml("id: a", "schedule: '* * * *'", ...TASKS)), [[
    "job.yaml:2:11",
    'invalid schedule "* * * *"',
    "must have 5 or 6 fields, found 4",
  ]]);
  assertErrors(load(yaml("id: a", "schedule: '0 0 * * * * *'", ...TASKS)), [[
    "job.yaml:2:11",
    "found 7",
  ]]);
});

Deno.test("errors: bad @every and unknown shortcut", () => {
  assertErrors(load(yaml("id: a", "schedule: '@every 1h30'", ...TASKS)), [[
    "job.yaml:2:11",
    '"@every 1h30"',
    "trailing number",
  ]]);
  assertErrors(load(yaml("id: a", "schedule: '@every 0s'", ...TASKS)), [[
    "job.yaml:2:11",
    "greater than zero",
  ]]);
  assertErrors(load(yaml("id: a", "schedule: '@fortnightly'", ...TASKS)), [[
    "job.yaml:2:11",
    'unknown shortcut "@fortnightly"',
    "@daily",
  ]]);
});

Deno.test("errors: out-of-range cron field", () => {
  assertErrors(load(yaml("id: a", "schedule: '61 * * * *'", ...TASKS)), [[
    "job.yaml:2:11",
    "minute value 61 is out of range",
  ]]);
});

Deno.test("errors: invalid time zone names the field it is in", () => {
  assertErrors(
    load(yaml("id: a", "schedule:", "  cron: '0 * * * *'", "  timezone: Mars/Base", ...TASKS)),
    [["job.yaml:4:13", "schedule.timezone:", 'unknown time zone "Mars/Base"']],
  );
  assertErrors(load(yaml("id: a", "schedule: '0 * * * *'", "timezone: Nowhere/City", ...TASKS)), [[
    "job.yaml:3:11",
    "timezone:",
    'unknown time zone "Nowhere/City"',
  ]]);
});

Deno.test("errors: bad time zone and bad expression are both reported", () => {
  const result = load(yaml("id: a", "schedule: '* * *'", "timezone: Bad/Zone", ...TASKS));
  assertErrors(result, [
    ["job.yaml:2:11", "found 3"],
    ["job.yaml:3:11", 'unknown time zone "Bad/Zone"'],
  ]);
});

Deno.test("errors: timezone without schedule, and given twice", () => {
  assertErrors(load(yaml("id: a", "timezone: UTC", ...TASKS)), [[
    "job.yaml:2:1",
    "no schedule",
  ]]);
  assertErrors(
    load(yaml("id: a", "schedule: {cron: '* * * * *', timezone: UTC}", "timezone: UTC", ...TASKS)),
    [["job.yaml:3:1", "timezone is given twice"]],
  );
});

// ---- templates ----

Deno.test("errors: templates: unknown config key, task not upstream, malformed", () => {
  const result = load(yaml(
    "id: a",
    "config:",
    "  env: prod",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "    args: ['{{ config.nope }}', '{{ tasks.y.stdout }}', '{{ tasks.x }}', '{{.Names}}']",
    "  - id: y",
    "    command: echo",
  ));
  assertErrors(result, [
    ["job.yaml:7:13", 'unknown config key "nope"', "(known keys: env)"],
    ["job.yaml:7:34", 'refers to task "y", which is not upstream of "x"'],
    ["job.yaml:7:58", 'unknown template "{{ tasks.x }}"'],
  ]);
});

Deno.test("errors: task outputs cannot be used in the job's environment", () => {
  const result = load(yaml("id: a", "environment:", "  X: '{{ tasks.t.stdout }}'", ...TASKS));
  assertErrors(result, [["job.yaml:3:7", "not in the job's environment"]]);
});

Deno.test("templates: upstream (also transitive) refs, job.id, run.id and foreign {{ }} are fine", () => {
  const job = onlyJob(yaml(
    "id: a",
    "config:",
    "  target: db",
    "tasks:",
    "  - id: x",
    "    command: echo",
    "  - id: y",
    "    command: echo",
    "    depends_on: [x]",
    "  - id: z",
    "    command: '{{ tasks.x.outputs.path }}'",
    "    args: ['{{ tasks.y.exit_code }}', '{{ job.id }}', '{{ run.id }}', '{{.Names}}']",
    "    working_dir: '/srv/{{ config.target }}'",
    "    environment:",
    "      T: '{{ tasks.x.stdout }}'",
    "    depends_on: [y]",
  ));
  const z = task(job, "z");
  // Stored as written; rendering happens at run time.
  assert.equal(commandOf(z).command, "{{ tasks.x.outputs.path }}");
  assert.deepEqual(commandOf(z).args, [
    "{{ tasks.y.exit_code }}",
    "{{ job.id }}",
    "{{ run.id }}",
    "{{.Names}}",
  ]);
});

// ---- job dependency entries ----

Deno.test("errors: job dependency map form rules", () => {
  const result = loadJobTexts([
    {
      file: "job.yaml",
      text: yaml(
        "id: a",
        "depends_on:",
        "  - {job: b, conditon: last_success}",
        "  - {job: b, condition: sometimes}",
        "  - {job: b, condition: within_window}",
        "  - {job: b, window: 1h}",
        "  - {condition: last_success}",
        "  - {job: b, job_id: b}",
        ...TASKS,
      ),
    },
    { file: "z.yaml", text: yaml("id: b", ...TASKS) },
  ]);
  assertErrorList(result, [
    ["job.yaml:3:14", 'unknown key "conditon" in depends_on[0]', 'did you mean "condition"'],
    ["job.yaml:4:25", "depends_on[1].condition: must be last_success, last_complete"],
    ["job.yaml:5:25", 'depends_on[2]: within_window needs "window"'],
    ["job.yaml:6:14", 'depends_on[3]: "window" is only used with condition: within_window'],
    ["job.yaml:7:5", 'depends_on[4]: missing required field "job"'],
    ["job.yaml:8:14", "depends_on[5]: give either job or job_id"],
  ]);
  assert.deepEqual(result.jobs.map((j) => j.id), ["b"]);
});

Deno.test("errors: {{ config.constructor }} is no key of the config (own keys only)", () => {
  const result = load(yaml(
    "id: a",
    "config: {env: prod}",
    "tasks:",
    "  - id: t",
    '    command: "{{ config.constructor }}"',
    '    args: ["{{ config.toString }}", "{{ config.env }}"]',
  ));
  assertErrors(result, [
    ["job.yaml:5:15", 'unknown config key "constructor"', "(known keys: env)"],
    ["job.yaml:6:13", 'unknown config key "toString"'],
  ]);
});
