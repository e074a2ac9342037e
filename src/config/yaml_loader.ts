/**
 * The library's YAML entry point (seed API: `YamlLoader::parse_job_config`).
 *
 * @module
 */

import type { JobSpec } from "../core/model.ts";
import { JobConfigError } from "./errors.ts";
import { loadJobsOrThrow, loadJobTexts } from "./loader/mod.ts";

/** The YAML loader of the library API. */
export interface YamlLoaderApi {
  /** Parses one job file's text; `file` names it in error messages. */
  parseJobConfig(text: string, file?: string): JobSpec;
  /** Loads every job file of a folder. */
  loadDir(dir: string): Promise<JobSpec[]>;
}

/** Loads jobs from YAML; every method throws JobConfigError listing all problems. */
export const YamlLoader: YamlLoaderApi = {
  /** Parses one job file's text; `file` names it in error messages. */
  parseJobConfig(text: string, file = "job.yaml"): JobSpec {
    const result = loadJobTexts([{ file, text }]);
    if (result.errors.length > 0) throw new JobConfigError(result.errors);
    return result.jobs[0];
  },
  /** Loads every job file of a folder. */
  loadDir(dir: string): Promise<JobSpec[]> {
    return loadJobsOrThrow(dir);
  },
};
