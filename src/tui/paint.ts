/**
 * Colours and attributes of the dashboard's text (SGR codes), and the {@link Frame} the
 * screens are drawn into. `NO_COLOR` drops the colours but keeps bold, dim and reverse
 * video, which are not colours and which the selection needs. Pure: no I/O.
 *
 * @module
 */

/** The SGR sequences used. */
const SGR = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  reverse: "\x1b[7m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  magenta: "\x1b[35m",
  cyan: "\x1b[36m",
} as const;

/** A colour or attribute. */
export type Tone = keyof typeof SGR;

/** Colours of statuses. */
export const STATUS_TONE: Readonly<Record<string, Tone>> = {
  running: "yellow",
  completed: "green",
  failed: "red",
  interrupted: "red",
  cancelled: "magenta",
  skipped: "dim",
  pending: "dim",
};

/** Tones that are attributes, not colours: kept under `NO_COLOR` (the selection needs them). */
const ATTRIBUTES: ReadonlySet<Tone> = new Set(["bold", "dim", "reverse"]);

/** Wraps text in SGR codes: colours only when `color`, attributes always. */
export type Paint = (text: string, ...tones: Tone[]) => string;

/** The painter for a terminal with (`color`) or without colours. */
export function painter(color: boolean): Paint {
  return (text, ...tones) => {
    const codes = tones.filter((t) => color || ATTRIBUTES.has(t)).map((t) => SGR[t]).join("");
    return codes ? codes + text + SGR.reset : text;
  };
}

/** What a screen is drawn with: its width, the rows of its body, the time, the painter. */
export interface Frame {
  /** Columns. */
  readonly w: number;
  /** Rows of the list or log. */
  readonly body: number;
  /** Epoch ms, for times shown as "today". */
  readonly now: number;
  /** Colours text. */
  readonly paint: Paint;
}

/**
 * The middle of the screen: the title, the column heads and the body rows (`body + 2`
 * lines), and a detail for the message line.
 */
export interface Middle {
  /** The lines. */
  readonly lines: string[];
  /** What the message line shows when it has nothing else (the selected item's error…). */
  readonly detail: string | null;
}
