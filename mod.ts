/**
 * Petit as a library: build jobs in TypeScript (custom tasks and command tasks in one DAG) or
 * load them from YAML, and run them with the same scheduler the `pt` CLI and the HTTP API use.
 *
 * ```ts
 * import { CommandTaskBuilder, DagBuilder, InMemoryStorage, JobBuilder, Scheduler } from "./mod.ts";
 *
 * const dag = new DagBuilder("etl", "Daily ETL")
 *   .addTask({ name: "extract", execute: (ctx) => ctx.outputs.set("rows", 42) })
 *   .addTaskWithDeps(new CommandTaskBuilder("load", "echo").args(["loaded"]).build(), ["extract"])
 *   .build();
 * const job = new JobBuilder("etl", "Daily ETL", dag).withSchedule("0 2 * * *").build();
 * const scheduler = new Scheduler([job], { storage: new InMemoryStorage() });
 * const run = scheduler.trigger("etl");
 * console.log((await run.done).status); // "completed"
 * await scheduler.shutdown();
 * ```
 *
 * @module
 */

export type {
  CatchupPolicy,
  CommandKind,
  CommandSpec,
  ConfigValue,
  CustomTask,
  ExpectedStatus,
  HttpMethod,
  HttpSpec,
  ImagePullPolicy,
  JobDependency,
  JobDependencyCondition,
  JobSpec,
  JobSpec as Job,
  KubernetesQuantities,
  KubernetesSpec,
  ParamSpec,
  RetryCondition,
  RetryPolicy,
  SshHost,
  SubJobSpec,
  TaskCondition,
  TaskContext,
  TaskInput,
  TaskOutputs,
  TaskSpec,
} from "./src/core/model.ts";
export {
  DEFAULT_EXPECT_STATUS,
  DEFAULT_HTTP_METHOD,
  DEFAULT_SSH_PORT,
  HTTP_METHODS,
  IMAGE_PULL_POLICIES,
  NO_RETRY,
} from "./src/core/model.ts";
export {
  type AddTaskOptions,
  BuildError,
  CommandTaskBuilder,
  type Dag,
  DagBuilder,
  JobBuilder,
  JobTaskBuilder,
  type ParamOptions,
  type Task,
} from "./src/core/builders.ts";
export { ParamError, type ParamErrorCode } from "./src/core/params.ts";
export {
  nextFireTimes,
  parseSchedule,
  type Schedule,
  ScheduleError,
} from "./src/schedule/schedule.ts";
export {
  DurationError,
  formatDuration,
  parseDuration,
  type ParseDurationOptions,
} from "./src/schedule/duration.ts";
export {
  type RefusalCode,
  Scheduler,
  type SchedulerOptions,
  type StartedRun,
  type TriggerOptions,
  TriggerRefusedError,
} from "./src/scheduler/scheduler.ts";
export type { EngineNotice, JobChange, SkipKind } from "./src/scheduler/engine.ts";
export type { Clock, TimerHandle } from "./src/scheduler/clock.ts";
export { recoverRuns as recover, type RecoveryOptions } from "./src/scheduler/recovery.ts";
export { runOnce, type RunOnceResult } from "./src/scheduler/run_once.ts";
export type { RunResult, TaskOutcome, TaskOutcomeStatus } from "./src/exec/runner.ts";
export { InMemoryStorage } from "./src/storage/memory.ts";
export { SqliteStorage } from "./src/storage/sqlite/mod.ts";
export type {
  AttemptRecord,
  AttemptStore,
  EventStore,
  JobStateStore,
  OutputStore,
  RunPatch,
  RunQuery,
  RunRecord,
  RunStatus,
  RunStore,
  RunTrigger,
  SlotStore,
  Storage,
  StoredEvent,
  StoreLifecycle,
  TaskRunPatch,
  TaskRunRecord,
  TaskStatus,
  TaskStore,
  WriteHealth,
} from "./src/storage/types.ts";
export {
  RunExistsError,
  RunNotFoundError,
  SlotTakenError,
  WritesNotCommittedError,
} from "./src/storage/errors.ts";
export { Logger, type LogLevel } from "./src/scheduler/log.ts";
export { RUN_STATUSES, RUN_TRIGGERS, TASK_STATUSES } from "./src/core/statuses.ts";
export { EventBus, type EventHandler } from "./src/events/bus.ts";
export {
  DEFAULT_NOTIFY_ON,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  NOTIFY_CHANNELS,
  NOTIFY_ON,
  type NotifyChannel,
  type NotifyOn,
  type NotifySpec,
  type NotifyTarget,
} from "./src/core/notify.ts";
export {
  DEFAULT_NOTIFY_WAIT_MS,
  NOTIFY_ATTEMPTS,
  NOTIFY_RETRY_DELAYS_MS,
  type NotifySettings,
} from "./src/notify/mod.ts";
export type {
  AttemptLogs,
  EventBase,
  JobCompletedEvent,
  JobSkippedEvent,
  JobStartedEvent,
  NotificationFailedEvent,
  NotificationScoped,
  NotificationSentEvent,
  PetitEvent,
  PetitEventType,
  RunScoped,
  SchedulerPausedEvent,
  SchedulerResumedEvent,
  TaskCancelledEvent,
  TaskCompletedEvent,
  TaskFailedEvent,
  TaskRetryingEvent,
  TaskScoped,
  TaskSkippedEvent,
  TaskStartedEvent,
} from "./src/events/types.ts";
export { YamlLoader, type YamlLoaderApi } from "./src/config/yaml_loader.ts";
export { type ConfigError, formatConfigError, JobConfigError } from "./src/config/errors.ts";
export { VERSION } from "./src/version.ts";
export {
  type AttemptScript,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_START,
  DEFAULT_UNTIL_IDLE_MS,
  type FailScript,
  type FailTaskOptions,
  ManualClock,
  type SucceedScript,
  type SucceedTaskOptions,
  type TaskScript,
  TestHarness,
  type TestHarnessOptions,
  type TimeoutScript,
  type TimeoutTaskOptions,
} from "./src/testing/mod.ts";
