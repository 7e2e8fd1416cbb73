/**
 * One soak request against the real server: a chat completion, streamed or not, cut mid-stream
 * when its plan says so, retried after a 503 as an SDK client would (retry.ts; a 503 is the
 * result only after MAX_ATTEMPTS), and judged: a stream must end with one finish_reason and
 * `[DONE]`, an answer must be non-empty and on the model asked for, a 503 must carry a JSON
 * error body and a usable `Retry-After`.
 */
import { readSse } from "../support/server.ts";
import type { Job } from "./plan.ts";
import { retryDelayMs } from "./retry.ts";

export type Outcome =
  | "ok"
  | "disconnected"
  | "finished-before-cut"
  | "4xx"
  | "503"
  | "5xx"
  | "invalid"
  | "transport"
  | "timeout";

export const OUTCOMES: readonly Outcome[] = [
  "ok",
  "disconnected",
  "finished-before-cut",
  "4xx",
  "503",
  "5xx",
  "invalid",
  "transport",
  "timeout",
];

export interface Result {
  job: Job;
  outcome: Outcome;
  status: number;
  content: string;
  model: string | null;
  /** From the first attempt to the end of the last one, retry waits included. */
  ms: number;
  /** 503 answers received before the last attempt (each one was retried). */
  rejections: number;
  /** The `Retry-After` values of those 503s, in seconds (NaN when absent or unparsable). */
  retryAfters: number[];
  /** 503 answers without a JSON error body or without a positive integer `Retry-After`. */
  badRejections: string[];
  /** Why an "invalid"/"transport"/"timeout"/"4xx"/"5xx" result is one. */
  detail: string;
}

export interface RequestOptions {
  /** For the backoff's jitter. */
  random: () => number;
  /** One attempt's limit. */
  timeoutMs: number;
  /** The longest `Retry-After` the server may ask for (its queue timeout), in seconds. */
  maxRetryAfterS: number;
}

const MAX_ATTEMPTS = 500;

interface Chunk {
  model?: string;
  choices?: {
    delta?: { content?: string };
    message?: { content?: string | null };
    finish_reason?: string | null;
  }[];
  error?: { message?: string; code?: unknown };
}

function chatBody(job: Pick<Job, "model" | "stream" | "prompt">): string {
  return JSON.stringify({
    model: job.model,
    stream: job.stream,
    messages: [{ role: "user", content: job.prompt }],
  });
}

/** Reads SSE frames until `cutAfter` data frames were seen, then drops the connection. */
async function readUntilCut(
  res: Response,
  cutAfter: number,
  ac: AbortController,
): Promise<{ cut: boolean; data: string[] }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const data: string[] = [];
  let buf = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return { cut: false, data };
      buf += value;
      let i: number;
      while ((i = buf.indexOf("\n\n")) !== -1) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        for (const line of frame.split("\n")) {
          if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length >= cutAfter) {
          ac.abort(new DOMException("soak: planned disconnect", "AbortError"));
          await reader.cancel().catch(() => {});
          return { cut: true, data };
        }
      }
    }
  } catch (err) {
    if (ac.signal.aborted) return { cut: true, data };
    throw err;
  }
}

function checkStream(data: string[], expectModel: string): {
  problem: string | null;
  content: string;
  model: string | null;
} {
  let content = "";
  let model: string | null = null;
  const finishes: string[] = [];
  const done = data.at(-1) === "[DONE]";
  const problems: string[] = [];
  if (!done) problems.push("stream did not end with data: [DONE]");
  if (data.filter((d) => d === "[DONE]").length > 1) problems.push("more than one [DONE]");
  for (const payload of done ? data.slice(0, -1) : data) {
    let chunk: Chunk;
    try {
      chunk = JSON.parse(payload);
    } catch {
      problems.push(`unparsable chunk ${JSON.stringify(payload.slice(0, 80))}`);
      continue;
    }
    if (chunk.error) {
      problems.push(`error chunk: ${JSON.stringify(chunk.error)}`);
      continue;
    }
    model = chunk.model ?? model;
    content += chunk.choices?.[0]?.delta?.content ?? "";
    const finish = chunk.choices?.[0]?.finish_reason;
    if (finish != null) finishes.push(finish);
  }
  if (finishes.length !== 1) {
    problems.push(`${finishes.length} finish_reasons (${finishes.join(",")})`);
  } else if (finishes[0] !== "stop") problems.push(`finish_reason ${finishes[0]}`);
  if (model !== expectModel) problems.push(`model ${model}, asked for ${expectModel}`);
  if (!content.trim()) problems.push("empty content");
  return { problem: problems.length ? problems.join("; ") : null, content, model };
}

/** What is wrong with a 503 answer, or null: a JSON error and a usable `Retry-After`. */
function checkRejection(res: Response, text: string, maxRetryAfterS: number): string | null {
  const header = res.headers.get("retry-after");
  const seconds = Number(header);
  if (header === null || !Number.isInteger(seconds) || seconds < 1 || seconds > maxRetryAfterS) {
    return `Retry-After ${JSON.stringify(header)} (want an integer 1…${maxRetryAfterS})`;
  }
  try {
    const body = JSON.parse(text);
    if (typeof body?.error?.message !== "string") return `503 body without error.message`;
  } catch {
    return `503 body is not JSON: ${JSON.stringify(text.slice(0, 80))}`;
  }
  return null;
}

export async function runJob(url: string, job: Job, opts: RequestOptions): Promise<Result> {
  const t0 = performance.now();
  const rejections = { count: 0, retryAfters: [] as number[], bad: [] as string[] };
  const result = (outcome: Outcome, fields: Partial<Result> = {}): Result => ({
    job,
    outcome,
    status: 0,
    content: "",
    model: null,
    detail: "",
    ...fields,
    rejections: rejections.count,
    retryAfters: rejections.retryAfters,
    badRejections: rejections.bad,
    ms: performance.now() - t0,
  });
  for (let attempt = 0;; attempt++) {
    const r = await attemptJob(url, job, opts);
    if (r.outcome !== "503" || attempt + 1 >= MAX_ATTEMPTS) {
      return result(r.outcome, r.fields);
    }
    rejections.count++;
    const header = r.retryAfter;
    rejections.retryAfters.push(header === null ? NaN : Number(header));
    if (r.badRejection) rejections.bad.push(r.badRejection);
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(header, attempt, opts.random)));
  }
}

interface Attempt {
  outcome: Outcome;
  fields: Partial<Result>;
  retryAfter: string | null;
  badRejection: string | null;
}

async function attemptJob(url: string, job: Job, opts: RequestOptions): Promise<Attempt> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new DOMException("soak: request timeout", "TimeoutError"));
  }, opts.timeoutMs);
  const attempt = (outcome: Outcome, fields: Partial<Result> = {}): Attempt => ({
    outcome,
    fields,
    retryAfter: null,
    badRejection: null,
  });
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": `soak-${job.index}` },
      body: chatBody(job),
      signal: ac.signal,
    });
    const status = res.status;
    if (status !== 200) {
      const text = await res.text();
      const detail = `HTTP ${status}: ${text.slice(0, 200)}`;
      if (status === 503) {
        return {
          outcome: "503",
          fields: { status, detail },
          retryAfter: res.headers.get("retry-after"),
          badRejection: checkRejection(res, text, opts.maxRetryAfterS),
        };
      }
      return attempt(status >= 500 ? "5xx" : status >= 400 ? "4xx" : "invalid", { status, detail });
    }
    if (!job.stream) {
      const json: Chunk = await res.json();
      const choice = json.choices?.[0];
      const content = choice?.message?.content ?? "";
      const problems: string[] = [];
      if (choice?.finish_reason !== "stop") problems.push(`finish_reason ${choice?.finish_reason}`);
      if (json.model !== job.model) problems.push(`model ${json.model}, asked for ${job.model}`);
      if (!content.trim()) problems.push("empty content");
      return attempt(problems.length ? "invalid" : "ok", {
        status,
        content,
        model: json.model ?? null,
        detail: problems.join("; "),
      });
    }
    let data: string[];
    if (job.cutAfter !== null) {
      const read = await readUntilCut(res, job.cutAfter, ac);
      if (timedOut) return attempt("timeout", { status, detail: "timed out mid-stream" });
      if (read.cut) {
        return attempt("disconnected", { status, detail: `${read.data.length} frames` });
      }
      data = read.data;
    } else {
      data = (await readSse(res)).data;
    }
    const checked = checkStream(data, job.model);
    const outcome: Outcome = checked.problem
      ? "invalid"
      : job.cutAfter !== null
      ? "finished-before-cut"
      : "ok";
    return attempt(outcome, {
      status,
      content: checked.content,
      model: checked.model,
      detail: checked.problem ?? "",
    });
  } catch (err) {
    if (timedOut) return attempt("timeout", { detail: `no answer in ${opts.timeoutMs} ms` });
    return attempt("transport", { detail: String(err) });
  } finally {
    clearTimeout(timer);
  }
}
