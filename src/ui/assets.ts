/**
 * The web UI's files, embedded: each is imported as text (`with { type: "text" }`), so they
 * are part of the module graph, `deno compile` carries them in the binary, and `pt run`
 * serves them from memory as they are, with no build step. A file added to `web/` must be
 * listed here (tests/ui/assets_test.ts checks it).
 *
 * Weight, as served (uncompressed): tests/ui/assets_test.ts keeps the total under
 * {@link PAGE_WEIGHT_BUDGET}.
 *
 * @module
 */

import actions from "./web/actions.js" with { type: "text" };
import api from "./web/api.js" with { type: "text" };
import app from "./web/app.js" with { type: "text" };
import charts from "./web/charts.js" with { type: "text" };
import dagLayout from "./web/dag_layout.js" with { type: "text" };
import dagView from "./web/dag_view.js" with { type: "text" };
import dom from "./web/dom.js" with { type: "text" };
import format from "./web/format.js" with { type: "text" };
import gantt from "./web/gantt.js" with { type: "text" };
import icon from "./web/icon.svg" with { type: "text" };
import index from "./web/index.html" with { type: "text" };
import logView from "./web/log_view.js" with { type: "text" };
import nav from "./web/nav.js" with { type: "text" };
import paramsForm from "./web/params_form.js" with { type: "text" };
import job from "./web/pages/job.js" with { type: "text" };
import notifications from "./web/pages/notifications.js" with { type: "text" };
import overview from "./web/pages/overview.js" with { type: "text" };
import parts from "./web/pages/parts.js" with { type: "text" };
import run from "./web/pages/run.js" with { type: "text" };
import scheduleWords from "./web/schedule_words.js" with { type: "text" };
import sse from "./web/sse.js" with { type: "text" };
import style from "./web/style.css" with { type: "text" };
import tokenForm from "./web/token_form.js" with { type: "text" };

/** A served file: its media type and its text. */
export interface UiAsset {
  /** `Content-Type` header value. */
  readonly type: string;
  /** The file as it is in `web/`. */
  readonly body: string;
}

const JS = "text/javascript; charset=utf-8";

/**
 * Most bytes the shell, its scripts, its stylesheet and its icon may weigh together, as
 * served (uncompressed; 88 KB measured, 34 KB if each file were gzipped).
 * @default 98304
 */
export const PAGE_WEIGHT_BUDGET = 96 * 1024;

/** The page every UI path serves (`/`, `/jobs/{id}`, `/runs/{id}`). */
export const SHELL: UiAsset = { type: "text/html; charset=utf-8", body: index };

/** Files under `/ui/`, by their path there (as in `web/`). */
export const UI_ASSETS: ReadonlyMap<string, UiAsset> = new Map<string, UiAsset>([
  ["style.css", { type: "text/css; charset=utf-8", body: style }],
  ["icon.svg", { type: "image/svg+xml", body: icon }],
  ...Object.entries({
    "actions.js": actions,
    "api.js": api,
    "app.js": app,
    "charts.js": charts,
    "dag_layout.js": dagLayout,
    "dag_view.js": dagView,
    "dom.js": dom,
    "format.js": format,
    "gantt.js": gantt,
    "log_view.js": logView,
    "nav.js": nav,
    "pages/job.js": job,
    "pages/notifications.js": notifications,
    "pages/overview.js": overview,
    "pages/parts.js": parts,
    "pages/run.js": run,
    "params_form.js": paramsForm,
    "schedule_words.js": scheduleWords,
    "sse.js": sse,
    "token_form.js": tokenForm,
  }).map(([path, body]): [string, UiAsset] => [path, { type: JS, body }]),
]);
