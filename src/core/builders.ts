/**
 * Building jobs in TypeScript: `DagBuilder`, `CommandTaskBuilder`, `JobTaskBuilder` (sub-job
 * tasks) and `JobBuilder` produce the same model the YAML loader does, so TypeScript tasks,
 * command tasks and sub-job tasks mix in one DAG.
 *
 * @module
 */

import { findCycle } from "./graph.ts";
import { paramPattern } from "./params.ts";
import { parseSchedule, type Schedule } from "../schedule/schedule.ts";
import {
  type CatchupPolicy,
  type CommandSpec,
  type ConfigValue,
  type CustomTask,
  DEFAULT_CATCHUP_LIMIT,
  ID_PATTERN,
  type JobDependency,
  type JobSpec,
  NO_RETRY,
  PARAM_NAME_PATTERN,
  type ParamSpec,
  type RetryPolicy,
  type TaskCondition,
  type TaskContext,
  type TaskSpec,
} from "./model.ts";

/** A TypeScript task: a name (its id in the DAG) and the work. */
export interface Task extends CustomTask {
  /** The task id, unique in its DAG. */
  readonly name: string;
  /** Runs one attempt; throwing fails it. */
  execute(ctx: TaskContext): Promise<void> | void;
}

/** Options for a task added to a DAG. */
export interface AddTaskOptions {
  /** Ids of tasks that must finish first. */
  readonly dependsOn?: readonly string[];
  /** When it runs, judged on its dependencies. */
  readonly condition?: TaskCondition;
  /** Retry policy. */
  readonly retry?: Partial<RetryPolicy>;
  /** Timeout of one attempt in milliseconds, or null for none. */
  readonly timeoutMs?: number | null;
}

/** A validated DAG of tasks. */
export interface Dag {
  /** DAG id. */
  readonly id: string;
  /** Display name. */
  readonly name: string;
  /** The tasks. */
  readonly tasks: readonly TaskSpec[];
}

/** A mistake in a job built in code (unknown dependency, cycle, bad id…). */
export class BuildError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

/** Assembles a DAG from TypeScript tasks and command tasks. */
export class DagBuilder {
  readonly #id: string;
  readonly #name: string;
  readonly #tasks: TaskSpec[] = [];

  /** Starts a DAG with an id and a display name. */
  constructor(id: string, name: string = id) {
    this.#id = id;
    this.#name = name;
  }

  /** Adds a TypeScript task or a built command task. */
  addTask(task: Task | TaskSpec, options: AddTaskOptions = {}): this {
    const base: TaskSpec = "execute" in task
      ? {
        id: task.name,
        name: task.name,
        dependsOn: [],
        condition: "all_success",
        retry: NO_RETRY,
        timeoutMs: null,
        command: null,
        custom: task,
      }
      : task;
    this.#tasks.push({
      ...base,
      dependsOn: options.dependsOn ? [...options.dependsOn] : base.dependsOn,
      condition: options.condition ?? base.condition,
      retry: options.retry ? { ...base.retry, ...options.retry } : base.retry,
      timeoutMs: options.timeoutMs !== undefined ? options.timeoutMs : base.timeoutMs,
    });
    return this;
  }

  /** Adds a task that waits for `deps` (seed API: `add_task_with_deps`). */
  addTaskWithDeps(
    task: Task | TaskSpec,
    deps: readonly string[],
    condition: TaskCondition = "all_success",
  ): this {
    return this.addTask(task, { dependsOn: deps, condition });
  }

  /** Checks ids, dependencies and cycles; throws BuildError on the first problem. */
  build(): Dag {
    if (this.#tasks.length === 0) throw new BuildError(`DAG "${this.#id}" has no tasks`);
    const ids = new Set<string>();
    for (const t of this.#tasks) {
      if (!ID_PATTERN.test(t.id)) {
        throw new BuildError(
          `task id "${t.id}" may only contain letters, digits, "_", "." and "-"`,
        );
      }
      if (ids.has(t.id)) throw new BuildError(`duplicate task id "${t.id}"`);
      ids.add(t.id);
    }
    for (const t of this.#tasks) {
      for (const d of t.dependsOn) {
        if (d === t.id) throw new BuildError(`task "${t.id}" depends on itself`);
        if (!ids.has(d)) {
          throw new BuildError(
            `task "${t.id}" depends on unknown task "${d}" (known tasks: ${
              [...ids].sort().join(", ")
            })`,
          );
        }
      }
    }
    const cycle = findCycle(new Map(this.#tasks.map((t) => [t.id, t.dependsOn])));
    if (cycle) throw new BuildError(`task dependency cycle: ${cycle.join(" -> ")}`);
    return { id: this.#id, name: this.#name, tasks: [...this.#tasks] };
  }
}

/** Builds a command task (no shell unless you run one). */
export class CommandTaskBuilder {
  readonly #id: string;
  #spec: CommandSpec;
  #timeoutMs: number | null = null;
  #retry: RetryPolicy = NO_RETRY;
  #envFile: string | null = null;

  /** A task `id` running `command`. */
  constructor(id: string, command: string) {
    this.#id = id;
    this.#spec = {
      kind: "command",
      command,
      args: [],
      script: null,
      inline: false,
      workingDir: null,
      environment: {},
    };
  }

  /** Arguments (stringified). */
  args(args: readonly (string | number | boolean)[]): this {
    this.#spec = { ...this.#spec, args: args.map(String) };
    return this;
  }

  /** Working directory. */
  workingDir(dir: string): this {
    this.#spec = { ...this.#spec, workingDir: dir };
    return this;
  }

  /** Adds environment variables. */
  env(vars: Record<string, string>): this {
    this.#spec = { ...this.#spec, environment: { ...this.#spec.environment, ...vars } };
    return this;
  }

  /**
   * A `KEY=VALUE` file read when the task starts (relative to the current folder); its values
   * sit between the job's environment and the task's.
   */
  envFile(path: string): this {
    this.#envFile = path;
    return this;
  }

  /** Timeout of one attempt in milliseconds. */
  timeout(ms: number): this {
    this.#timeoutMs = ms;
    return this;
  }

  /** Retries with a fixed delay (seed API: `.retry(3, Duration::from_secs(60))`). */
  retry(maxAttempts: number, delayMs = 0, condition: RetryPolicy["condition"] = "always"): this {
    this.#retry = { ...NO_RETRY, maxAttempts, delayMs, condition };
    return this;
  }

  /** The task. */
  build(): TaskSpec {
    return {
      id: this.#id,
      name: this.#id,
      dependsOn: [],
      condition: "all_success",
      retry: this.#retry,
      timeoutMs: this.#timeoutMs,
      command: this.#spec,
      custom: null,
      ...(this.#envFile !== null ? { envFile: this.#envFile } : {}),
    };
  }
}

/**
 * Builds a sub-job task: it runs another job (loaded in the same scheduler) as a child run and
 * completes when the child completes. The child's run id is its output `run_id`.
 */
export class JobTaskBuilder {
  readonly #id: string;
  readonly #jobId: string;
  #params: Record<string, string> = {};
  #timeoutMs: number | null = null;

  /** A task `id` running job `jobId`. */
  constructor(id: string, jobId: string) {
    this.#id = id;
    this.#jobId = jobId;
  }

  /** Values of the child job's params (templates such as `{{ params.day }}` are rendered). */
  params(values: Record<string, string>): this {
    this.#params = { ...this.#params, ...values };
    return this;
  }

  /** Timeout in milliseconds: past it, the child run is cancelled and the task fails. */
  timeout(ms: number): this {
    this.#timeoutMs = ms;
    return this;
  }

  /** The task. */
  build(): TaskSpec {
    return {
      id: this.#id,
      name: this.#id,
      dependsOn: [],
      condition: "all_success",
      retry: NO_RETRY,
      timeoutMs: this.#timeoutMs,
      command: null,
      custom: null,
      job: { jobId: this.#jobId, params: { ...this.#params } },
    };
  }
}

/** A param of a job built in code (see {@link JobBuilder.withParam}). */
export interface ParamOptions {
  /** The value when none is given; without one, the param is required for manual runs. */
  readonly default?: string;
  /** Free text. */
  readonly description?: string;
  /** A regular expression the whole value must match. */
  readonly pattern?: string;
}

/** Builds a job from a DAG. */
export class JobBuilder {
  #job: JobSpec;

  /** A job `id` named `name` running `dag`. */
  constructor(id: string, name: string, dag: Dag) {
    if (!ID_PATTERN.test(id)) {
      throw new BuildError(`job id "${id}" may only contain letters, digits, "_", "." and "-"`);
    }
    this.#job = {
      id,
      name,
      description: null,
      schedule: null,
      enabled: true,
      maxConcurrency: null,
      config: {},
      environment: {},
      dependsOn: [],
      catchup: "none",
      catchupLimit: DEFAULT_CATCHUP_LIMIT,
      tasks: dag.tasks,
      file: "",
    };
  }

  /** Schedule, as a parsed Schedule or an expression (+ time zone). */
  withSchedule(schedule: Schedule | string, timezone?: string): this {
    const parsed = typeof schedule === "string" ? parseSchedule(schedule, timezone) : schedule;
    this.#job = { ...this.#job, schedule: parsed };
    return this;
  }

  /** Concurrent runs of this job. */
  withMaxConcurrency(n: number): this {
    this.#job = { ...this.#job, maxConcurrency: n };
    return this;
  }

  /** Adds a dependency on another job. */
  withDependency(dep: JobDependency): this {
    this.#job = { ...this.#job, dependsOn: [...this.#job.dependsOn, dep] };
    return this;
  }

  /** Values for `{{ config.KEY }}` and `ctx.config`. */
  withConfig(config: Record<string, ConfigValue>): this {
    this.#job = { ...this.#job, config: { ...this.#job.config, ...config } };
    return this;
  }

  /** Environment for every command task. */
  withEnvironment(env: Record<string, string>): this {
    this.#job = { ...this.#job, environment: { ...this.#job.environment, ...env } };
    return this;
  }

  /**
   * Catch-up policy for slots missed while down; `limit` caps the slots `all` runs
   * ({@link DEFAULT_CATCHUP_LIMIT} when absent).
   */
  withCatchup(policy: CatchupPolicy, limit: number = DEFAULT_CATCHUP_LIMIT): this {
    this.#job = { ...this.#job, catchup: policy, catchupLimit: limit };
    return this;
  }

  /**
   * Adds a param given when the job is triggered: `{{ params.NAME }}` in templates and
   * `PETIT_PARAM_<NAME>` in every task. Throws BuildError for a bad name or pattern.
   */
  withParam(name: string, options: ParamOptions = {}): this {
    if (!PARAM_NAME_PATTERN.test(name)) {
      throw new BuildError(
        `param name "${name}" must start with a letter or "_" and hold only letters, digits ` +
          `and "_"`,
      );
    }
    if (options.pattern !== undefined) {
      try {
        paramPattern(options.pattern);
      } catch (err) {
        throw new BuildError(`param "${name}": not a valid regular expression: ${err}`);
      }
    }
    const param: ParamSpec = {
      name,
      default: options.default ?? null,
      description: options.description ?? null,
      pattern: options.pattern ?? null,
    };
    const others = (this.#job.params ?? []).filter((p) => p.name !== name);
    this.#job = { ...this.#job, params: [...others, param] };
    return this;
  }

  /** A `KEY=VALUE` file read when a run starts, below the job's environment. */
  withEnvFile(path: string): this {
    this.#job = { ...this.#job, envFile: path };
    return this;
  }

  /** Names of environment variables whose values are shown as `***` in logs and errors. */
  withSecrets(names: readonly string[]): this {
    this.#job = { ...this.#job, secrets: [...new Set([...(this.#job.secrets ?? []), ...names])] };
    return this;
  }

  /** Enabled or not (disabled jobs are not scheduled). */
  enabled(on: boolean): this {
    this.#job = { ...this.#job, enabled: on };
    return this;
  }

  /** The job. */
  build(): JobSpec {
    return this.#job;
  }
}
