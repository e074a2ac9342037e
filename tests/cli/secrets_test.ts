/**
 * `secrets:` with values from `pt`'s own environment, through `pt trigger`, `pt logs` and
 * `pt show` as real subprocesses: the value is `***` in the progress output (a failure's
 * stderr tail), the stored logs and the run's error, while the task still gets the real value.
 *
 * @module
 */

import assert from "node:assert/strict";
import { withSandbox } from "../scenarios/helpers.ts";

const SECRET = "env-secret-9f3a";

Deno.test("secrets from pt's environment: the task gets them; pt shows ***", async () => {
  await withSandbox(async (sb) => {
    await sb.job(
      "deploy",
      `id: deploy
secrets: [DEPLOY_TOKEN, NOT_SET]
tasks:
  - id: push
    type: shell
    script: |
      test "$DEPLOY_TOKEN" = "${SECRET}" && echo "token ok: $DEPLOY_TOKEN"
      echo "rejected token $DEPLOY_TOKEN" >&2
      exit 7
`,
    );
    const r = await sb.cli(["trigger", sb.jobs, "deploy", "--db", sb.db], {
      DEPLOY_TOKEN: SECRET,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout + r.stderr, /rejected token \*\*\*/);
    const runId = r.stdout.match(/^run (\S+) of deploy started/m)?.[1];
    assert.ok(runId, r.stdout);

    const logs = await sb.cli(["logs", runId, "push", "--db", sb.db]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^token ok: \*\*\*$/m);
    assert.match(logs.stdout, /^rejected token \*\*\*$/m);
    const json = await sb.cli(["logs", runId, "--db", sb.db, "--json"]);
    const shown = await sb.cli(["show", runId, "--db", sb.db]);
    for (const out of [r.stdout, r.stderr, logs.stdout, json.stdout, shown.stdout]) {
      assert.ok(!out.includes(SECRET), out);
    }
  });
});
