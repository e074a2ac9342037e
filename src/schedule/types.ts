/**
 * The vocabulary shared by the schedule modules: the {@link Schedule} interface, the
 * {@link ScheduleError} they throw and the checks they share.
 *
 * @module
 */

/**
 * Thrown by {@link parseSchedule} when the expression or the time zone is invalid, including a
 * cron expression that never fires.
 */
export class ScheduleError extends Error {
  /** Which input is wrong. */
  readonly field: "expression" | "timezone";

  /**
   * @param field Which input is wrong.
   * @param message A complete, user-facing message.
   */
  /** Builds the error. */
  constructor(field: "expression" | "timezone", message: string) {
    super(message);
    this.name = "ScheduleError";
    this.field = field;
  }
}

/** A parsed schedule: when a job fires. */
export interface Schedule {
  /** The expression as the user wrote it. */
  readonly expression: string;
  /** IANA time zone, "UTC" by default. */
  readonly timezone: string;
  /** `cron` for cron expressions and shortcuts, `every` for `@every <duration>`. */
  readonly kind: "cron" | "every";
  /** Interval for @every schedules, null for cron. */
  readonly everyMs: number | null;
  /**
   * Next fire time strictly after `after`, or null if none.
   *
   * For `@every`, the result is the smallest `anchor + k * everyMs` (k ≥ 1) after `after`;
   * `anchor` defaults to `after`. Cron schedules ignore `anchor`.
   */
  next(after: Date, anchor?: Date): Date | null;
}

/** A ScheduleError about the expression, quoting it. */
export function expressionError(expression: string, reason: string): ScheduleError {
  return new ScheduleError(
    "expression",
    `invalid schedule ${JSON.stringify(expression.trim())}: ${reason}`,
  );
}

/** Rejects Invalid Date values, which croner would otherwise throw on with a vague message. */
export function checkDate(date: Date, name: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError(`${name} must be a valid Date`);
  }
}
