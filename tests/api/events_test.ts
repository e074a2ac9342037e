import assert from "node:assert/strict";
import { createApp } from "../../src/api/app.ts";
import { latestEventId, resumePoint } from "../../src/api/routes/events.ts";
import { type Harness, type SseEvent, SseReader, startHarness, waitFor } from "./helpers.ts";
import { startHook } from "../notify/helpers.ts";

Deno.test("events stream live with stored ids; Last-Event-ID replays only later ones", async () => {
  const h = await startHarness();
  try {
    const res = await h.fetch("/api/events");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const sse = new SseReader(res);
    let runId: string;
    try {
      const t = await h.json("/api/jobs/quick/trigger", { method: "POST" });
      runId = String(t.body.run_id);
      const started = await sse.until((e) => e.event === "job_started");
      const startedData = JSON.parse(started.data);
      assert.equal(startedData.run_id, runId);
      assert.equal(startedData.type, "job_started");
      assert.equal(startedData.trigger, "api");
      assert.equal(typeof startedData.at, "number");

      const task = await sse.until((e) => e.event?.startsWith("task_") ?? false);
      const data = JSON.parse(task.data);
      assert.equal(data.run_id, runId);
      assert.equal(data.job_id, "quick");
      assert.equal(typeof data.task_id, "string");
      assert.equal(data.type, task.event);
      assert.ok(Number(task.id) > Number(started.id));
      // Logs never go out on the stream.
      const done = await sse.until((e) => e.event === "task_completed");
      assert.equal("logs" in JSON.parse(done.data), false);
      await sse.until((e) => e.event === "job_completed" && JSON.parse(e.data).run_id === runId);

      // The ids are the stored ones.
      const stored = h.storage.eventsAfter(Number(task.id) - 1, 1)[0];
      assert.equal(stored.id, Number(task.id));
      assert.equal(stored.type, task.event);
    } finally {
      await sse.close();
    }

    // Reconnect after the first task event: exactly the stored events after it, in order.
    const after = Number(
      h.storage.eventsAfter(0).find((e) => e.run_id === runId && e.type.startsWith("task_"))!.id,
    );
    const expected = h.storage.eventsAfter(after).map((e) => String(e.id));
    assert.ok(expected.length >= 2);
    for (const init of [{ headers: { "last-event-id": String(after) } }, {}]) {
      const path = "headers" in init ? "/api/events" : `/api/events?last_event_id=${after}`;
      const again = new SseReader(await h.fetch(path, init));
      try {
        const got: string[] = [];
        while (got.length < expected.length) got.push((await again.next()).id!);
        assert.deepEqual(got, expected);
      } finally {
        await again.close();
      }
    }

    const bad = await h.json("/api/events", { headers: { "last-event-id": "abc" } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, "BAD_REQUEST");
  } finally {
    await h.close();
  }
});

/** Stores an event no run wrote; returns its id. */
function storeEvent(h: Harness, at: number): number {
  return h.storage.appendEvent({
    type: "scheduler_paused",
    at,
    job_id: null,
    run_id: null,
    task_id: null,
    data: {},
  });
}

Deno.test("events: a Last-Event-ID newer than any stored event (reset database) resumes after the newest", async () => {
  const h = await startHarness();
  try {
    storeEvent(h, 1);
    const newest = storeEvent(h, 2);
    // The query parameter is handled like the header.
    const viaQuery = new SseReader(await h.fetch("/api/events?last_event_id=999999"));
    try {
      assert.deepEqual(await viaQuery.next(5000), { id: String(newest), event: null, data: "" });
    } finally {
      await viaQuery.close();
    }

    const sse = new SseReader(
      await h.fetch("/api/events", { headers: { "last-event-id": "999999" } }),
    );
    let runId: string;
    try {
      // First an id reset without data (no event for an EventSource), not the newest event again.
      assert.deepEqual(await sse.next(5000), { id: String(newest), event: null, data: "" });
      assert.ok(
        sse.comments.includes(
          `: last event id 999999 is newer than any stored event (a reset database?); ` +
            `resuming after ${newest}`,
        ),
        sse.comments.join("\n"),
      );
      // Then new events as they happen.
      const t = await h.json("/api/jobs/quick/trigger", { method: "POST" });
      runId = String(t.body.run_id);
      const ofRun = (e: SseEvent, type: string) =>
        e.event === type && JSON.parse(e.data).run_id === runId;
      const got: SseEvent[] = [];
      do got.push(await sse.next()); while (!ofRun(got.at(-1)!, "job_completed"));
      assert.ok(got.some((e) => ofRun(e, "job_started")));
      for (const e of got) assert.ok(Number(e.id) > newest, `${e.id} replayed`);
    } finally {
      await sse.close();
    }

    // Reconnecting with the reset id replays what came after it.
    const expected = h.storage.eventsAfter(newest).map((e) => String(e.id));
    const again = new SseReader(
      await h.fetch("/api/events", { headers: { "last-event-id": String(newest) } }),
    );
    try {
      const got: string[] = [];
      while (got.length < expected.length) got.push((await again.next()).id!);
      assert.deepEqual(got, expected);
      assert.equal(again.comments.some((c) => c.includes("resuming")), false);
    } finally {
      await again.close();
    }
  } finally {
    await h.close();
  }
});

Deno.test("events: a Last-Event-ID older than the oldest kept event resumes from it, saying so", async () => {
  const h = await startHarness();
  try {
    for (let i = 0; i < 10; i++) storeEvent(h, i);
    h.storage.pruneEvents(4);
    const kept = h.storage.eventsAfter(0).map((e) => String(e.id));
    assert.equal(kept.length, 4);
    const oldest = Number(kept[0]);
    assert.ok(oldest > 2);

    const sse = new SseReader(await h.fetch("/api/events", { headers: { "last-event-id": "1" } }));
    try {
      const got: string[] = [];
      while (got.length < kept.length) got.push((await sse.next(5000)).id!);
      assert.deepEqual(got, kept);
      assert.ok(
        sse.comments.includes(`: events before ${oldest} were pruned; resuming from ${oldest}`),
        sse.comments.join("\n"),
      );
    } finally {
      await sse.close();
    }

    // Just before the oldest kept event: nothing was lost, nothing to say.
    const edge = new SseReader(
      await h.fetch(`/api/events?last_event_id=${oldest - 1}`),
    );
    try {
      assert.equal((await edge.next(5000)).id, String(oldest));
      assert.equal(edge.comments.some((c) => c.includes("pruned")), false);
    } finally {
      await edge.close();
    }
  } finally {
    await h.close();
  }
});

Deno.test("resumePoint: moves an id past the newest or before the oldest event to one it can serve", () => {
  // Ordinary resume: after the client's id.
  assert.deepEqual(resumePoint(5, 3, 9), { cursor: 5, note: null, resetId: false });
  assert.deepEqual(resumePoint(2, 3, 9), { cursor: 2, note: null, resetId: false });
  assert.deepEqual(resumePoint(9, 3, 9), { cursor: 9, note: null, resetId: false });
  // Pruned: from the oldest kept event.
  assert.deepEqual(resumePoint(1, 3, 9), {
    cursor: 2,
    note: ": events before 3 were pruned; resuming from 3",
    resetId: false,
  });
  // From another database: after the newest, and the client's id is reset.
  const reset = resumePoint(10, 3, 9);
  assert.equal(reset.cursor, 9);
  assert.equal(reset.resetId, true);
  assert.match(reset.note!, /^: last event id 10 .*resuming after 9$/);
  // An empty database: the reset id is 0, so the next reconnect gets everything.
  assert.equal(resumePoint(7, null, 0).cursor, 0);
  assert.deepEqual(resumePoint(0, null, 0), { cursor: 0, note: null, resetId: false });
});

Deno.test("events: heartbeats, events written by another process, disconnect cleanup", async () => {
  const h = await startHarness();
  try {
    const app = createApp({ scheduler: h.scheduler, engine: h.engine, heartbeatMs: 50 });
    // Count the stream's bus subscriptions, to see them go when the client does.
    let subscribed = 0;
    const bus = h.scheduler.bus;
    const subscribe = bus.subscribe.bind(bus);
    bus.subscribe = (handler) => {
      subscribed++;
      const off = subscribe(handler);
      return () => {
        subscribed--;
        off();
      };
    };
    const res = await app.request("/api/events");
    const sse = new SseReader(res);
    try {
      // An event stored by someone else (no bus notification) arrives with a heartbeat.
      const id = h.storage.appendEvent({
        type: "scheduler_paused",
        at: 1,
        job_id: null,
        run_id: null,
        task_id: null,
        data: {},
      });
      const e = await sse.next(3000);
      assert.equal(e.id, String(id));
      assert.deepEqual(JSON.parse(e.data), { type: "scheduler_paused", at: 1 });
      assert.ok(sse.comments.some((c) => c === ": heartbeat"));
      assert.equal(subscribed, 1);
    } finally {
      await sse.close();
    }
    await waitFor("the stream to unsubscribe", () => (subscribed === 0 ? true : undefined));
  } finally {
    await h.close();
  }
});

Deno.test("closing the server ends open event streams", async () => {
  const h = await startHarness();
  const sse = new SseReader(await h.fetch("/api/events"));
  const closing = h.close();
  await assert.rejects(() => sse.next(5000), /ended|timed out/);
  await closing;
  await sse.close();
});

Deno.test("latestEventId finds the newest id by probing", async () => {
  const h = await startHarness();
  try {
    assert.equal(latestEventId(h.storage), 0);
    let last = 0;
    for (let i = 0; i < 37; i++) {
      last = h.storage.appendEvent({
        type: "x",
        at: i,
        job_id: null,
        run_id: null,
        task_id: null,
        data: {},
      });
      assert.equal(latestEventId(h.storage), last);
    }
  } finally {
    await h.close();
  }
});

Deno.test("events: notification_sent streams like other events, its target without secrets", async () => {
  const hook = startHook();
  const url = hook.origin.replace("http://", "http://bot:hunter2pass@") + "/hook?token=s3cr3t";
  const h = await startHarness({
    jobs: () => ({
      notified: `id: notified\nnotify: [{webhook: "${url}", on: [success]}]\n` +
        'tasks:\n  - id: t\n    command: "true"\n',
    }),
  });
  try {
    const sse = new SseReader(await h.fetch("/api/events"));
    try {
      const t = await h.json("/api/jobs/notified/trigger", { method: "POST" });
      const sent = await sse.until((e) => e.event === "notification_sent");
      const { at, ...data } = JSON.parse(sent.data);
      assert.equal(typeof at, "number");
      assert.deepEqual(data, {
        type: "notification_sent",
        job_id: "notified",
        run_id: t.body.run_id,
        run_status: "completed",
        channel: "webhook",
        target: `${hook.origin}/hook?token=***`,
        attempt: 1,
      });
      assert.equal(hook.received.length, 1);
    } finally {
      await sse.close();
    }
  } finally {
    await h.close();
    await hook.close();
  }
});
