/**
 * Levelled one-line logger: `<time> <LEVEL> [component] message key=value …`.
 *
 * Prompt and output text is only ever passed at debug level by callers; this module adds no
 * secrets of its own. Control characters in any part of a line are escaped, so a request cannot
 * write terminal escape sequences or fake lines into the log. The sink is injectable so tests
 * can capture lines.
 * Imports nothing from the rest of src/.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = typeof LOG_LEVELS[number];

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  readonly level: LogLevel;
  debug(component: string, message: string, fields?: LogFields): void;
  info(component: string, message: string, fields?: LogFields): void;
  warn(component: string, message: string, fields?: LogFields): void;
  error(component: string, message: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * Characters that must never reach a terminal or a log file raw: C0 and C1 controls (an escape
 * sequence from a URL could recolour or rewrite the operator's terminal), line and paragraph
 * separators, bidirectional overrides (they reorder what is shown), and lone surrogates.
 */
const UNSAFE = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "gu");

const hex4 = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** `text` with every unsafe character written as `\uXXXX`. */
export function escapeControls(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, hex4) : text;
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== "string") return String(value);
  if (/^[^\s"=]+$/.test(value) && !UNSAFE.test(value)) return value;
  // JSON.stringify escapes C0 controls, quotes and lone surrogates; the rest is ours.
  return escapeControls(JSON.stringify(value));
}

export function formatLine(
  time: Date,
  level: LogLevel,
  component: string,
  message: string,
  fields: LogFields = {},
): string {
  let line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} [${
    escapeControls(component)
  }] ${escapeControls(message)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line += ` ${escapeControls(key)}=${formatValue(value)}`;
  }
  return line;
}

export function createLogger(
  level: LogLevel,
  sink: (line: string, level: LogLevel) => void = (line) => console.error(line),
): Logger {
  const threshold = RANK[level];
  const emit = (lvl: LogLevel) => (component: string, message: string, fields?: LogFields) => {
    if (RANK[lvl] < threshold) return;
    sink(formatLine(new Date(), lvl, component, message, fields), lvl);
  };
  return {
    level,
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    enabled: (lvl) => RANK[lvl] >= threshold,
  };
}

export const silentLogger: Logger = createLogger("silent");
