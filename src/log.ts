/**
 * Levelled one-line logger: `<time> <LEVEL> [component] message key=value …`.
 *
 * Prompt and output text is only ever passed at debug level by callers; this module adds no
 * secrets of its own. The sink is injectable so tests can capture lines.
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

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== "string") return String(value);
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

export function formatLine(
  time: Date,
  level: LogLevel,
  component: string,
  message: string,
  fields: LogFields = {},
): string {
  let line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${message}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
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
