/**
 * Notifications end to end: a scheduler runs real jobs and delivers to HTTP servers on
 * 127.0.0.1 (webhook, ntfy) and to local commands; what arrives, what is published and
 * stored, retries, secrets, and that a run never waits for its notifications.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { NotificationFailedEvent, PetitEvent } from "../../src/events/types.ts";
import { NotificationPayloadSchema } from "../../src/notify/payload_schema.ts";
import { exitWith, FAST_RETRIES, type Hook, never, setup, startHook } from "./helpers.ts";

/** The notification events without their times (which vary). */
function timeless(events: PetitEvent[]): Record<string, unknown>[] {
  return events.map(({ at: _at, ...rest }) => rest);
}

/** Runs `fn` with hooks, closed afterwards. */
async function withHooks(
  hooks: Hook[],
  fn: () => Promise<void>,
): Promise<void> {
  try {
    await fn();
  } finally {
    for (const h of hooks) await h.close();
  }
}

Deno.test("Notifier: a webhook gets the run as JSON, with its tasks' status and exit code", async () => {
  const hook = startHook();
  await withHooks([hook], async () => {
    const s = setup({
      backup: `id: backup
name: Nightly backup
notify:
  - webhook: ${hook.origin}/petit
tasks:
  - id: dump
    type: shell
    script: exit 3
  - id: upload
    command: "true"
    depends_on: [dump]
`,
    });
    try {
      const run = s.scheduler.trigger("backup");
      assert.equal((await run.done).status, "failed");
      const req = await hook.nth(1);
      assert.equal(req.method, "POST");
      assert.equal(new URL(req.url).pathname, "/petit");
      assert.equal(req.headers.get("content-type"), "application/json");
      assert.match(req.headers.get("user-agent") ?? "", /^petit\//);
      const body = NotificationPayloadSchema.parse(JSON.parse(req.body));
      const stored = s.storage.getRun(run.runId)!;
      assert.deepEqual(body, {
        job_id: "backup",
        job_name: "Nightly backup",
        run_id: run.runId,
        status: "failed",
        outcome: "failure",
        trigger: "manual",
        error: 'task "dump" failed: exit code 3',
        reason: null,
        started_at: stored.started_at,
        ended_at: stored.ended_at,
        duration_ms: stored.duration_ms,
        tasks: [
          { task_id: "dump", status: "failed", exit_code: 3, attempts: 1, error: "exit code 3" },
          {
            task_id: "upload",
            status: "skipped",
            exit_code: null,
            attempts: 0,
            error: 'dependency "dump" failed (condition all_success)',
          },
        ],
      });
      const events = await s.until((e) => e.length === 1);
      assert.deepEqual(timeless(events), [{
        type: "notification_sent",
        job_id: "backup",
        run_id: run.runId,
        run_status: "failed",
        channel: "webhook",
        target: `${hook.origin}/petit`,
        attempt: 1,
      }]);
      // Stored like every event (and so served by /api/events).
      assert.ok(s.storage.eventsAfter(0).some((e) => e.type === "notification_sent"));
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: ntfy gets a short text with Title, Priority and Tags", async () => {
  const hook = startHook();
  await withHooks([hook], async () => {
    const s = setup({
      bad: `id: bad\nnotify: [{ntfy: "${hook.origin}/alerts"}]\n${exitWith(1)}`,
      good: `id: good\nnotify: [{ntfy: "${hook.origin}/alerts", on: [success]}]\n${exitWith(0)}`,
    });
    try {
      const failed = s.scheduler.trigger("bad");
      await failed.done;
      const alert = await hook.nth(1);
      assert.equal(new URL(alert.url).pathname, "/alerts");
      assert.equal(alert.headers.get("title"), "petit: job bad failed");
      assert.equal(alert.headers.get("priority"), "high");
      assert.equal(alert.headers.get("tags"), "x");
      assert.match(alert.headers.get("content-type") ?? "", /^text\/plain/);
      const lines = alert.body.split("\n");
      assert.match(lines[0], new RegExp(`^run ${failed.runId} failed in \\d+m?s \\(manual\\)$`));
      assert.equal(lines[1], 'task "work" failed: exit code 1');

      const ok = s.scheduler.trigger("good");
      await ok.done;
      const fine = await hook.nth(2);
      assert.equal(fine.headers.get("title"), "petit: job good completed");
      assert.equal(fine.headers.get("priority"), "default");
      assert.equal(fine.headers.get("tags"), "white_check_mark");
      assert.match(fine.body, new RegExp(`^run ${ok.runId} completed in `));
      await s.until((e) => e.length === 2);
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: `on` filters — a success does not notify a failure-only entry", async () => {
  const failures = startHook();
  const successes = startHook();
  const cancels = startHook();
  await withHooks([failures, successes, cancels], async () => {
    const notify = `notify:
  - {webhook: "${failures.origin}/f"}
  - {webhook: "${successes.origin}/s", on: [success]}
  - {webhook: "${cancels.origin}/c", on: [cancelled, skipped]}
`;
    const s = setup({
      ok: `id: ok\n${notify}${exitWith(0)}`,
      slow: `id: slow\n${notify}tasks:\n  - id: nap\n    command: sleep\n    args: [30]\n`,
    });
    try {
      await s.scheduler.trigger("ok").done;
      await s.until((e) => e.length === 1);
      const slow = s.scheduler.trigger("slow");
      await new Promise((r) => setTimeout(r, 100));
      s.scheduler.cancel(slow.runId);
      assert.equal((await slow.done).status, "cancelled");
      await s.until((e) => e.length === 2);
      assert.deepEqual(
        s.notifications().map((e) => e.type === "notification_sent" && e.target),
        [`${successes.origin}/s`, `${cancels.origin}/c`],
      );
      assert.equal(failures.received.length, 0);
      assert.equal(successes.received.length, 1);
      assert.equal(JSON.parse(cancels.received[0].body).status, "cancelled");
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: a server answering 500 twice then 200 gets three tries, with backoff", async () => {
  const hook = startHook((n) =>
    n < 3 ? new Response("try later", { status: 500 }) : new Response("ok")
  );
  await withHooks([hook], async () => {
    const s = setup({ job: `id: job\nnotify: [{webhook: "${hook.origin}/h"}]\n${exitWith(1)}` });
    try {
      const run = s.scheduler.trigger("job");
      await run.done;
      const events = await s.until((e) => e.some((x) => x.type === "notification_sent"));
      const base = {
        job_id: "job",
        run_id: run.runId,
        run_status: "failed",
        channel: "webhook",
        target: `${hook.origin}/h`,
      };
      const error = "HTTP 500 Internal Server Error: try later";
      assert.deepEqual(timeless(events), [
        { type: "notification_failed", ...base, attempt: 1, error, retry_in_ms: FAST_RETRIES[0] },
        { type: "notification_failed", ...base, attempt: 2, error, retry_in_ms: FAST_RETRIES[1] },
        { type: "notification_sent", ...base, attempt: 3 },
      ]);
      const [first, second, third] = hook.received;
      assert.ok(second.at - first.at >= FAST_RETRIES[0] - 1, "waited before the second try");
      assert.ok(third.at - second.at >= FAST_RETRIES[1] - 1, "waited longer before the third");
      assert.equal(hook.received.length, 3);
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: after three failed tries, notification_failed says it gave up", async () => {
  const hook = startHook(() => new Response("down", { status: 503 }));
  await withHooks([hook], async () => {
    const s = setup({ job: `id: job\nnotify: [{ntfy: "${hook.origin}/t"}]\n${exitWith(1)}` });
    try {
      await s.scheduler.trigger("job").done;
      const events = await s.until((e) =>
        e.some((x) => x.type === "notification_failed" && x.retry_in_ms === null)
      );
      assert.deepEqual(
        events.map((e) => {
          const f = e as NotificationFailedEvent;
          return [f.type, f.attempt, f.retry_in_ms];
        }),
        [
          ["notification_failed", 1, FAST_RETRIES[0]],
          ["notification_failed", 2, FAST_RETRIES[1]],
          ["notification_failed", 3, null],
        ],
      );
      assert.equal(
        (events[2] as NotificationFailedEvent).error,
        "HTTP 503 Service Unavailable: down",
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(hook.received.length, 3, "no fourth try");
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: a command gets the run in its environment and runs in the job's folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "petit-notify-cmd-" });
  try {
    const script = 'printf "%s\\n" "$PETIT_JOB_ID" "$PETIT_RUN_ID" "$PETIT_RUN_STATUS" ' +
      '"$PETIT_RUN_TRIGGER" "$PETIT_NOTIFY_TITLE" "$(pwd)" > notified.txt';
    const s = setup(
      { mail: `id: mail\nnotify: [{command: [sh, -c, '${script}']}]\n${exitWith(2)}` },
      {},
      dir,
    );
    try {
      const run = s.scheduler.trigger("mail");
      await run.done;
      const events = await s.until((e) => e.length === 1);
      assert.deepEqual(timeless(events), [{
        type: "notification_sent",
        job_id: "mail",
        run_id: run.runId,
        run_status: "failed",
        channel: "command",
        target: "sh",
        attempt: 1,
      }]);
      const lines = (await Deno.readTextFile(join(dir, "notified.txt"))).split("\n");
      assert.deepEqual(lines.slice(0, 6), [
        "mail",
        run.runId,
        "failed",
        "manual",
        "petit: job mail failed",
        await Deno.realPath(dir),
      ]);
    } finally {
      await s.scheduler.shutdown(0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Notifier: a command that fails or outlives its timeout is a failed delivery", async () => {
  const s = setup({
    broken: `id: broken\nnotify: [{command: [sh, -c, "echo no mailer >&2; exit 4"]}]\n${
      exitWith(1)
    }`,
    stuck: `id: stuck\nnotify: [{command: [sleep, "30"], timeout: 200ms}]\n${exitWith(1)}`,
    missing: `id: missing\nnotify: [{command: [no-such-mailer-xyz]}]\n${exitWith(1)}`,
  });
  try {
    await Promise.all(["broken", "stuck", "missing"].map((id) => s.scheduler.trigger(id).done));
    const events = await s.until(
      (e) => e.filter((x) => x.type === "notification_failed").length === 9,
      20_000,
    );
    const last = (job: string) =>
      events.filter((e) => e.type === "notification_failed" && e.job_id === job).at(
        -1,
      ) as NotificationFailedEvent;
    assert.equal(last("broken").error, "exit code 4: no mailer");
    assert.equal(last("stuck").error, "timed out after 200ms");
    assert.match(last("missing").error, /no-such-mailer-xyz/);
    for (const job of ["broken", "stuck", "missing"]) {
      assert.deepEqual([last(job).attempt, last(job).retry_in_ms], [3, null], job);
    }
  } finally {
    await s.scheduler.shutdown(0);
  }
});

Deno.test("Notifier: a hanging webhook changes neither the run's status nor its timing", async () => {
  const hook = startHook((_n, signal) => never(signal));
  await withHooks([hook], async () => {
    const s = setup(
      { job: `id: job\nnotify: [{webhook: "${hook.origin}/slow", on: [success]}]\n${exitWith(0)}` },
      { waitMs: 200 },
    );
    const t0 = performance.now();
    const run = s.scheduler.trigger("job");
    const result = await run.done;
    const took = performance.now() - t0;
    assert.equal(result.status, "completed");
    assert.ok(took < 2_000, `the run took ${took} ms`);
    const completed = s.events.find((e) => e.type === "job_completed")!;
    assert.equal(completed.type === "job_completed" && completed.status, "completed");
    assert.ok(completed.type === "job_completed" && completed.duration_ms < 2_000);
    assert.equal(s.storage.getRun(run.runId)!.status, "completed");
    await hook.nth(1); // the delivery is under way, and hangs
    assert.equal(s.scheduler.activeRunIds().length, 0);

    // Shutdown waits `waitMs`, then gives the delivery up: one final notification_failed.
    const t1 = performance.now();
    await s.scheduler.shutdown(0);
    const waited = performance.now() - t1;
    assert.ok(waited >= 150 && waited < 2_000, `shutdown waited ${waited} ms`);
    const failed = s.notifications() as NotificationFailedEvent[];
    assert.equal(failed.length, 1);
    assert.equal(failed[0].type, "notification_failed");
    assert.equal(failed[0].retry_in_ms, null);
    assert.match(failed[0].error, /^not delivered: Petit is exiting \(waited 2\d\dms\)$/);
  });
});

Deno.test("Notifier: an answer slower than the entry's timeout is a failed attempt", async () => {
  const hook = startHook((_n, signal) => never(signal));
  await withHooks([hook], async () => {
    const s = setup(
      { job: `id: job\nnotify: [{webhook: "${hook.origin}/x", timeout: 100ms}]\n${exitWith(1)}` },
    );
    try {
      await s.scheduler.trigger("job").done;
      const events = await s.until((e) => e.length === 3);
      assert.deepEqual(
        events.map((e) => (e as NotificationFailedEvent).error),
        Array(3).fill("no answer within 100ms"),
      );
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: targets and errors never carry a URL's user, password, token or query", async () => {
  const live = startHook();
  const gone = startHook();
  await gone.close(); // nothing listens on its port: connections are refused
  await withHooks([live], async () => {
    const secretPath = "T0/B1/abcdef0123456789abcdef";
    const urlOf = (origin: string) =>
      origin.replace("http://", "http://bot:hunter2pass@") +
      `/hooks/${secretPath}?token=s3cr3t-token&x=1#frag`;
    const s = setup({
      live: `id: live\nnotify: [{webhook: "${urlOf(live.origin)}"}]\n${exitWith(1)}`,
      gone: `id: gone\nnotify: [{ntfy: "${urlOf(gone.origin)}"}]\n${exitWith(1)}`,
    });
    try {
      await s.scheduler.trigger("live").done;
      await s.scheduler.trigger("gone").done;
      const events = await s.until((e) => e.length === 4);
      // The user and password went as Basic authentication.
      assert.equal(
        live.received[0].headers.get("authorization"),
        `Basic ${btoa("bot:hunter2pass")}`,
      );
      const targets = new Set(events.map((e) => (e as NotificationFailedEvent).target));
      assert.deepEqual(
        [...targets].sort(),
        [live.origin, gone.origin].map((o) => `${o}/hooks/T0/B1/***?token=***&x=***`).sort(),
      );
      const refused = events.filter((e) => e.type === "notification_failed");
      assert.equal(refused.length, 3);
      const stored = JSON.stringify(s.storage.eventsAfter(0));
      for (const secret of ["hunter2pass", "s3cr3t-token", "abcdef0123456789abcdef", "frag"]) {
        assert.equal(stored.includes(secret), false, `${secret} in ${stored}`);
      }
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: defaults serve jobs without notify; a job's own list replaces them", async () => {
  const defaults = startHook();
  const own = startHook();
  await withHooks([defaults, own], async () => {
    const s = setup(
      {
        plain: `id: plain\n${exitWith(1)}`,
        quiet: `id: quiet\nnotify: []\n${exitWith(1)}`,
        custom: `id: custom\nnotify: [{webhook: "${own.origin}/own"}]\n${exitWith(1)}`,
      },
      {
        defaults: [{
          on: ["failure"],
          target: { channel: "webhook", url: `${defaults.origin}/default` },
          timeoutMs: 5_000,
        }],
      },
    );
    try {
      for (const id of ["plain", "quiet", "custom"]) await s.scheduler.trigger(id).done;
      await s.until((e) => e.length === 2);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(defaults.received.map((r) => JSON.parse(r.body).job_id), ["plain"]);
      assert.deepEqual(own.received.map((r) => JSON.parse(r.body).job_id), ["custom"]);
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Notifier: a skipped slot notifies `on: [skipped]` with its reason", async () => {
  const hook = startHook();
  await withHooks([hook], async () => {
    const s = setup({
      nightly: `id: nightly
schedule: "0 2 * * *"
notify: [{webhook: "${hook.origin}/s", on: [skipped]}]
${exitWith(0)}`,
    });
    try {
      const job = s.scheduler.job("nightly")!;
      const runId = s.scheduler.recordSkip(job, Date.UTC(2026, 0, 1, 2), "paused");
      const body = NotificationPayloadSchema.parse(JSON.parse((await hook.nth(1)).body));
      assert.deepEqual(
        [body.run_id, body.status, body.outcome, body.trigger, body.reason, body.tasks],
        [runId, "skipped", "skipped", "schedule", "paused", []],
      );
      await s.until((e) => e.length === 1);
    } finally {
      await s.scheduler.shutdown(0);
    }
  });
});

Deno.test("Scheduler.shutdown(): waits for notifications under way, then stores their events", async () => {
  const hook = startHook(async () => {
    await new Promise((r) => setTimeout(r, 300));
    return new Response("ok");
  });
  await withHooks([hook], async () => {
    const s = setup({ job: `id: job\nnotify: [{webhook: "${hook.origin}/x"}]\n${exitWith(1)}` });
    await s.scheduler.trigger("job").done;
    await s.scheduler.shutdown(0);
    assert.deepEqual(
      s.storage.eventsAfter(0).filter((e) => e.type.startsWith("notif")).map((e) => e.type),
      ["notification_sent"],
    );
  });
});
