/**
 * A fake `RunAttempt` and job builders for driving the DAG runner (`executeRun`) without
 * processes, job files or storage: each attempt is logged ("start a#1", "end a#1"), can be
 * held until the test releases it, and ends as the test's plan says. Used by `dag_test.ts`.
 */

import assert from "node:assert/strict";
import type { JobSpec, RetryPolicy, TaskCondition, TaskSpec } from "../../src/core/model.ts";
import { NO_RETRY } from "../../src/core/model.ts";
import { EventBus } from "../../src/events/bus.ts";
import type { PetitEvent } from "../../src/events/types.ts";
import {
  type AttemptContext,
  type AttemptResult,
  emptyLogs,
  type RunAttempt,
} from "../../src/exec/attempt/mod.ts";
import { type ExecuteOptions, executeRun, type RunResult } from "../../src/exec/runner.ts";

/** What `spec()` may set on a task; the rest are the loader's defaults. */
export interface TaskOptions {
  readonly dependsOn?: readonly string[];
  readonly condition?: TaskCondition;
  readonly retry?: Partial<RetryPolicy>;
  readonly timeoutMs?: number | null;
}

/** A command task (the fake never runs it) with the loader's defaults. */
export function spec(id: string, o: TaskOptions = {}): TaskSpec {
  return {
    id,
    name: id,
    dependsOn: o.dependsOn ?? [],
    condition: o.condition ?? "all_success",
    retry: { ...NO_RETRY, ...o.retry },
    timeoutMs: o.timeoutMs ?? null,
    command: {
      kind: "shell",
      command: null,
      args: [],
      script: "exit 0",
      inline: false,
      workingDir: null,
      environment: {},
    },
    custom: null,
  };
}

function job(tasks: TaskSpec[]): JobSpec {
  return {
    id: "job",
    name: "job",
    description: null,
    schedule: null,
    enabled: true,
    maxConcurrency: null,
    config: {},
    environment: {},
    dependsOn: [],
    catchup: "none",
    catchupLimit: 1,
    tasks,
    file: "",
  };
}

/** How the fake ends one attempt. */
export type Ending =
  | { readonly kind: "ok"; readonly stdout?: string; readonly outputs?: Record<string, string> }
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "timeout" }
  | { readonly kind: "start_error" }
  | { readonly kind: "throw"; readonly message: string };

/** Succeeds with no output. */
export const OK: Ending = { kind: "ok" };
/** Fails with exit code `code`. */
export const exit = (code: number): Ending => ({ kind: "exit", code });
/** Fails as a timeout does: transient, "timed out after <ctx.timeoutMs> ms". */
export const TIMEOUT: Ending = { kind: "timeout" };

function result(r: Omit<AttemptResult, "logs">, stdout = "", outputs = {}): AttemptResult {
  return { ...r, logs: { ...emptyLogs(Date.now()), stdout, outputs } };
}

function cancelledResult(): AttemptResult {
  return result({
    ok: false,
    cancelled: true,
    transient: false,
    exitCode: null,
    error: "cancelled",
  });
}

function ended(e: Ending, ctx: AttemptContext): AttemptResult {
  switch (e.kind) {
    case "ok":
      return result(
        { ok: true, cancelled: false, transient: false, exitCode: 0, error: "" },
        e.stdout,
        e.outputs,
      );
    case "exit":
      return result({
        ok: false,
        cancelled: false,
        transient: false,
        exitCode: e.code,
        error: `exit code ${e.code}`,
      });
    case "timeout":
      return result({
        ok: false,
        cancelled: false,
        transient: true,
        exitCode: null,
        error: `timed out after ${ctx.timeoutMs} ms`,
      });
    case "start_error":
      return result({
        ok: false,
        cancelled: false,
        transient: true,
        exitCode: null,
        error: "program not found: x",
      });
    case "throw":
      throw new Error(e.message);
  }
}

/**
 * A scripted RunAttempt. `plan[id][n - 1]` ends attempt n of task `id` (the last entry
 * repeats; OK when absent). Tasks in `hold` wait for `release(id)` (or for cancellation)
 * before they end. Every attempt's context is kept in `contexts`.
 */
export class FakeAttempts {
  /** "start a#1", "end a#1", … in the order they happened. */
  readonly log: string[] = [];
  readonly contexts = new Map<string, AttemptContext>();
  readonly #plan: Readonly<Record<string, readonly Ending[]>>;
  readonly #hold: Set<string>;
  readonly #gates = new Map<string, () => void>();

  constructor(plan: Record<string, readonly Ending[]> = {}, hold: readonly string[] = []) {
    this.#plan = plan;
    this.#hold = new Set(hold);
  }

  readonly run: RunAttempt = async (task, ctx) => {
    const name = `${task.id}#${ctx.attempt}`;
    this.log.push(`start ${name}`);
    this.contexts.set(name, ctx);
    const planned = this.#plan[task.id] ?? [OK];
    const ending = planned[Math.min(ctx.attempt, planned.length) - 1];
    if (ending.kind !== "throw") ctx.started({ pgid: 1000 + this.log.length, procStart: null });
    if (this.#hold.has(task.id)) {
      const outcome = await new Promise<"released" | "aborted">((resolve) => {
        this.#gates.set(task.id, () => resolve("released"));
        ctx.signal?.addEventListener("abort", () => resolve("aborted"), { once: true });
      });
      this.#gates.delete(task.id);
      if (outcome === "aborted") {
        this.log.push(`cancelled ${name}`);
        return cancelledResult();
      }
    }
    this.log.push(`end ${name}`);
    return ended(ending, ctx);
  };

  /** Whether task `id` has an attempt waiting for its release. */
  holding(id: string): boolean {
    return this.#gates.has(id);
  }

  /** Lets held task `id` end. */
  release(id: string): void {
    const gate = this.#gates.get(id);
    assert.ok(gate, `task ${id} is not being held`);
    this.#hold.delete(id);
    gate();
  }
}

/** Starts a run over `fake`; returns the pending result and every event published. */
export function start(
  tasks: TaskSpec[],
  fake: FakeAttempts,
  options: Partial<ExecuteOptions> = {},
): { done: Promise<RunResult>; events: PetitEvent[] } {
  const bus = new EventBus();
  const events: PetitEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const done = executeRun({
    job: job(tasks),
    runId: "run-1",
    trigger: "manual",
    bus,
    runAttempt: fake.run,
    baseEnv: {},
    ...options,
  });
  return { done, events };
}

/** Waits (a macrotask at a time, at most 2 s) until `cond` holds. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!cond()) {
    assert.ok(Date.now() < deadline, `timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Statuses of `result`'s tasks, by id. */
export function statuses(r: RunResult): Record<string, string> {
  return Object.fromEntries([...r.tasks].map(([id, o]) => [id, o.status]));
}

/** The events of one type, typed. */
export function ofType<T extends PetitEvent["type"]>(
  events: PetitEvent[],
  type: T,
): Extract<PetitEvent, { type: T }>[] {
  return events.filter((e): e is Extract<PetitEvent, { type: T }> => e.type === type);
}
