/**
 * `rkllm-api pull <ref>` and `rkllm-api rm <name>`: the terminal face of src/models/pull. On a
 * terminal the current file is one redrawn line (percent, bar, bytes, speed, ETA); otherwise
 * (logs, CI) plain lines, one per status and per 10 %. The caller (main.ts) passes the models
 * folder and the HF_ENDPOINT / HF_TOKEN values; this module reads no environment.
 */
import { formatBytes } from "../models/pull/errors.ts";
import { type PullEvent, pullModel, type PullOptions } from "../models/pull/pull.ts";
import { removeModel, type RemoveOptions } from "../models/pull/remove.ts";

export interface Terminal {
  write(text: string): void;
  /** Redraw in place (`\r`) only on a terminal. */
  readonly isTerminal: boolean;
  /** Columns available for a line. */
  readonly columns: number;
}

export interface PullCommandOptions
  extends Pick<PullOptions, "modelsDir" | "endpoint" | "token" | "revision" | "name" | "signal"> {
  out?: Terminal;
  err?: Terminal;
  /** Milliseconds; for tests. */
  now?: () => number;
  fetch?: typeof fetch;
}

/** Exit code 0 on success, 1 on a failure (already explained on `err`). */
export async function runPull(reference: string, opts: PullCommandOptions): Promise<number> {
  const out = opts.out ?? stdTerminal(Deno.stdout);
  const err = opts.err ?? stdTerminal(Deno.stderr);
  const view = new PullView(out, opts.now ?? (() => performance.now()));
  try {
    const pull = pullModel(reference, {
      modelsDir: opts.modelsDir,
      endpoint: opts.endpoint,
      token: opts.token,
      revision: opts.revision,
      name: opts.name,
      signal: opts.signal,
      fetch: opts.fetch,
    });
    for (;;) {
      const step = await pull.next();
      if (step.done) {
        view.finish();
        out.write(`pulled ${reference} into ${step.value.dir}\n`);
        return 0;
      }
      view.show(step.value);
    }
  } catch (cause) {
    view.finish();
    err.write(`error: ${describe(cause)}\n`);
    return 1;
  }
}

export interface RmCommandOptions extends RemoveOptions {
  modelsDir: string;
  out?: Terminal;
  err?: Terminal;
}

export async function runRm(name: string, opts: RmCommandOptions): Promise<number> {
  const out = opts.out ?? stdTerminal(Deno.stdout);
  const err = opts.err ?? stdTerminal(Deno.stderr);
  try {
    const { path } = await removeModel(opts.modelsDir, name, opts);
    out.write(`deleted ${path}\n`);
    return 0;
  } catch (cause) {
    err.write(`error: ${describe(cause)}\n`);
    return 1;
  }
}

/** Bytes per second over the last few seconds, so a stall shows quickly. */
export class RateMeter {
  #samples: { at: number; bytes: number }[] = [];
  constructor(readonly windowMs = 5000) {}

  add(at: number, bytes: number): void {
    if (this.#samples.length > 0 && bytes < this.#samples[this.#samples.length - 1].bytes) {
      this.#samples = []; // a restarted transfer
    }
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - this.#samples[1].at >= this.windowMs) {
      this.#samples.shift();
    }
  }

  /** undefined until two samples at least 100 ms apart exist. */
  rate(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (first === undefined || last.at - first.at < 100) return undefined;
    return (last.bytes - first.bytes) / ((last.at - first.at) / 1000);
  }
}

export interface ProgressLine {
  label: string;
  completed: number;
  total: number;
  bytesPerSecond?: number;
  columns: number;
}

/** `pulling 3f2a9c01b7d4  45% [=====>    ] 90.0 MB/200.0 MB  12.3 MB/s  ETA 0:09` */
export function formatProgressLine(p: ProgressLine): string {
  const fraction = p.total > 0 ? Math.min(1, p.completed / p.total) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const sizes = `${formatBytes(p.completed)}/${formatBytes(p.total)}`;
  const speed = p.bytesPerSecond === undefined ? "" : `  ${formatBytes(p.bytesPerSecond)}/s`;
  const eta = p.bytesPerSecond === undefined || p.bytesPerSecond <= 0
    ? ""
    : `  ETA ${formatDuration((p.total - p.completed) / p.bytesPerSecond)}`;
  const head = `${p.label} ${percent} `;
  const tail = ` ${sizes}${speed}${eta}`;
  const barWidth = Math.min(40, p.columns - head.length - tail.length - 2);
  if (barWidth < 5) return `${head.trimEnd()}${tail}`;
  const filled = Math.round(fraction * barWidth);
  const bar = "=".repeat(filled) + (filled < barWidth ? ">" : "") +
    " ".repeat(Math.max(0, barWidth - filled - 1));
  return `${head}[${bar}]${tail}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Turns the pull's events into terminal output. */
class PullView {
  #status = "";
  #meter = new RateMeter();
  #lastDecile = -1;
  #lineOpen = false;

  constructor(readonly out: Terminal, readonly now: () => number) {}

  show(event: PullEvent): void {
    const isTransfer = event.total !== undefined && event.completed !== undefined;
    if (event.status !== this.#status) {
      this.finish();
      this.#status = event.status;
      this.#meter = new RateMeter();
      this.#lastDecile = -1;
      if (!isTransfer || !this.out.isTerminal) this.out.write(`${event.status}\n`);
    }
    if (!isTransfer) return;
    this.#meter.add(this.now(), event.completed!);
    const line = formatProgressLine({
      label: event.status,
      completed: event.completed!,
      total: event.total!,
      bytesPerSecond: this.#meter.rate(),
      columns: this.out.columns,
    });
    if (this.out.isTerminal) {
      this.out.write(`\r${line}\x1b[K`);
      this.#lineOpen = true;
      return;
    }
    const decile = event.total! > 0 ? Math.floor((event.completed! / event.total!) * 10) : 10;
    if (decile > this.#lastDecile) {
      this.#lastDecile = decile;
      this.out.write(`${line}\n`);
    }
  }

  /** Ends a redrawn line so what follows starts on its own. */
  finish(): void {
    if (this.#lineOpen) this.out.write("\n");
    this.#lineOpen = false;
  }
}

function stdTerminal(stream: typeof Deno.stdout | typeof Deno.stderr): Terminal {
  const encoder = new TextEncoder();
  const isTerminal = stream.isTerminal();
  let columns = 80;
  if (isTerminal) {
    try {
      columns = Deno.consoleSize().columns;
    } catch {
      // not a console after all: keep 80
    }
  }
  return {
    write: (text) => {
      const bytes = encoder.encode(text);
      for (let done = 0; done < bytes.length;) done += stream.writeSync(bytes.subarray(done));
    },
    isTerminal,
    columns,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
