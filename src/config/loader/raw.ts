/**
 * Helpers over a job file's raw data: the plain JS the YAML parser gives back before any
 * shape check, where every field may be missing or of the wrong type.
 *
 * @module
 */

/** A path into the raw data, as keys and list indexes (`["tasks", 0, "id"]`). */
export type Path = readonly PropertyKey[];

/** Whether `value` is a map (a plain object, not a list and not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
