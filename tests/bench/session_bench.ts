/**
 * `deno task bench:session`: what an ordinary Open WebUI session costs the NPU, under every
 * reading of the runtime's KV cache the mock offers. Each reading starts a fresh server
 * (`startServer` with `kvCalibration: true`, otherwise default settings) on the mock runtime and
 * plays one session (session_script.ts):
 *
 * - Chat A with a system prompt: 8 streamed turns; after each answer the follow-ups task (Open
 *   WebUI's default template, the chat's last 6 messages in `<chat_history>` as `ROLE: content`
 *   lines); after the first answer also title (last 2) and tags. Turn 5 is a web search: the
 *   search-queries task (its history ends with the new question), then the answer with the
 *   retrieved context in the last user message (5 chunks of 4 pages) and the chat's history.
 * - Chat B (new): first turn + follow-ups, title, tags. Back to chat A for turn 9 + follow-ups.
 * - A regenerate of turn 9 (the same request again) + follow-ups.
 * - Turn 10, stopped by the client after 5 content chunks (the fetch is aborted, as Open WebUI's
 *   stop button does; no tasks follow); turn 11 carries the partial answer in its history.
 * - Chat C (new): turn 5's web question again (queries task, answer, follow-ups, title, tags).
 *
 * Timing: the mock runs at TIME_SCALE of board time (TOKEN_MS per generated token,
 * PREFILL_TOKEN_US per prefilled position), so wall times (time to first token) are scaled.
 * NPU time is not wall time: it is computed at board speed from the mock's call log, each
 * `run_end` costing `prefill_tokens` / 300 tok/s + generated tokens / 14 tok/s (Qwen3-1.7B on
 * the RK3588: ~14 tok/s decode, 100–340 tok/s prefill). Prompt-cache file loads and saves (disk
 * time) are not counted. The calibration's probe runs at the first load are shown apart.
 *
 * The minimum is what the session's new tokens need at the same rates: for each answer that
 * ran, its new user message (on a web search, the whole message with the retrieved context; on a
 * chat's first answer, the system prompt too) plus the tokens it generated; for each follow-ups
 * task the model answered (it produced suggestions), its instruction (the task text without its
 * `<chat_history>` block) plus the tokens it generated. Tokens are counted as the mock counts
 * them (UTF-8 bytes / 4). An answer the server replays without a run (its RAG answer cache)
 * needs nothing. A cache reset is an answer, not its chat's first, whose run prefilled more
 * than its new tokens + 32 (it re-read history already prefilled once); a cold start is an
 * answer whose run began on an empty KV cache. A follow-ups task was sent while its chat was
 * cached when the answer before it ran to its end with keep_history=1 and the cache still held
 * it; it produced suggestions when the model answered it (the mock's words are not JSON, so the
 * lists that come back are empty: their count is printed as "non-empty").
 *
 * Usage: deno task bench:session [--reading=<name>[,<name>…]] [--steps] [--json] [--keep-logs=DIR]
 *   [--tokens=N] [--json-replies]
 *   --steps prints every request of each reading (runs, prefill, generation, the server's
 *   `kv=` label; the default for a single reading); --json prints the figures as JSON instead
 *   of the tables; --keep-logs copies each reading's mock call log to DIR/<reading>.jsonl;
 *   --tokens sets the words per reply (default 100); --json-replies ends every reply with a
 *   follow-ups JSON object (see JSON_REPLIES).
 */
import { readMockLog } from "../support/mock.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { OpenWebUi, type ServerProbe } from "./openwebui_client.ts";
import { account, BOARD, RESET_SLACK, type SessionFigures } from "./session_accounting.ts";
import { playSession, SCRIPT_TEXT } from "./session_script.ts";

/** Mock time per generated token (board: 1000 / 14 ≈ 71.4 ms). */
const TOKEN_MS = 4;
const TIME_SCALE = TOKEN_MS / (1000 / BOARD.decodePerSecond);
/** Mock time per prefilled position: the board's 1 / 300 s, scaled. */
const PREFILL_TOKEN_US = Math.round((1e6 / BOARD.prefillPerSecond) * TIME_SCALE);
/** Words per mock reply, a typical answer's length (`--tokens=N`). */
const REPLY_TOKENS = Number(Deno.args.find((a) => a.startsWith("--tokens="))?.slice(9) ?? 100);
/**
 * `--json-replies`: every reply (answers too) is plain English ending with a follow-ups JSON
 * object, so a task run on the cached chat ends where its object closes, as a real model's
 * answer does, and Open WebUI gets suggestions. The mock's own words hold no JSON object, so
 * without it a continued task always runs to its last word, and the lists come back empty.
 */
const JSON_REPLIES = Deno.args.includes("--json-replies");

function proseThenJson(words: number): string {
  const json = '{"follow_ups": ["How much power does the board draw?", ' +
    '"Which models fit in 16 GB?", "Can two models run at once?"]}';
  const prose = "the NPU runs the model while the CPU stays free for other work .".split(" ");
  const rest = Math.max(0, words - json.split(" ").length);
  return [...Array.from({ length: rest }, (_, i) => prose[i % prose.length]), json].join(" ");
}

interface Reading {
  name: string;
  keep0: string;
  range: string;
  files: string;
  args?: string[];
  calibrate: boolean;
}

const honoured = (keep0: string): Reading => ({
  name: keep0,
  keep0,
  range: "accept",
  files: "restore",
  calibrate: true,
});
const fallback = (keep0: string, range: string, files: string): Reading => ({
  name: `${keep0}-${range}-${files}`,
  keep0,
  range,
  files,
  calibrate: true,
});

const READINGS: readonly Reading[] = [
  honoured("clear"),
  honoured("rollback"),
  honoured("reuse"),
  fallback("clear", "refuse", "unset"),
  fallback("clear", "refuse", "restore"),
  fallback("reuse", "accept", "unset"),
  fallback("clear", "ignore", "ignore"),
  {
    name: "baseline",
    keep0: "clear",
    range: "unset",
    files: "unset",
    args: [
      "--task-modes",
      "follow_ups=model,autocomplete=model",
      "--prompt-cache-max-mb",
      "0",
    ],
    calibrate: false,
  },
];

interface ReadingResult {
  reading: Reading;
  strategy: string;
  wallSeconds: number;
  figures: SessionFigures;
}

function mockEnv(r: Reading): Record<string, string> {
  const env: Record<string, string> = {
    RKLLM_MOCK_KEEP0: r.keep0,
    RKLLM_MOCK_TOKEN_MS: String(TOKEN_MS),
    RKLLM_MOCK_PREFILL_TOKEN_US: String(PREFILL_TOKEN_US),
    RKLLM_MOCK_TOKENS: String(REPLY_TOKENS),
  };
  if (JSON_REPLIES) env.RKLLM_MOCK_REPLY = proseThenJson(REPLY_TOKENS);
  if (r.range !== "unset") env.RKLLM_MOCK_RANGE_CLEAR = r.range;
  if (r.files !== "unset") env.RKLLM_MOCK_PROMPT_CACHE = r.files;
  return env;
}

/** The server's own account of a request, from its log (diagnostic, not measured). */
function serverNote(logs: readonly string[], id: string): string {
  const mine = logs.filter((l) => new RegExp(`\\bid=${id}(\\s|$)`).test(l));
  const kv = mine.map((l) => l.match(/\bkv=(\S+)/)?.[1]).find(Boolean);
  if (kv) return kv;
  if (mine.some((l) => l.includes("[rag] cache hit"))) return "rag-answer-cache";
  if (mine.some((l) => l.includes("answered without the NPU"))) return "shortcut";
  return "?";
}

function probe(server: TestServer, model: string): ServerProbe {
  const lines = async () =>
    (await Deno.readTextFile(server.mockLog).catch(() => "")).split("\n").filter((l) => l.trim());
  return {
    url: server.url,
    model,
    logLines: async () => (await lines()).length,
    async runsEnded() {
      for (let i = 0; i < 500; i++) {
        const all = await lines();
        const starts = all.filter((l) => l.includes('"event":"run_start"')).length;
        const ends = all.filter((l) => l.includes('"event":"run_end"')).length;
        if (starts === ends) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error("an aborted run did not end within 5 s");
    },
    serverNote: (id) => serverNote(server.logs, id),
  };
}

async function runReading(r: Reading): Promise<ReadingResult> {
  const server = await startServer({
    env: mockEnv(r),
    models: { "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" },
    kvCalibration: r.calibrate,
    args: r.args,
  });
  try {
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    const ow = new OpenWebUi(probe(server, models.data[0].id));
    const t0 = performance.now();
    await playSession(ow);
    const wallSeconds = (performance.now() - t0) / 1000;
    const health = await (await fetch(`${server.url}/health`)).json();
    const figures = account(ow.steps, await readMockLog(server.mockLog));
    if (keepLog) await Deno.copyFile(server.mockLog, `${keepLog}/${r.name}.jsonl`);
    return { reading: r, strategy: health.kv_cache?.taskStrategy ?? "-", wallSeconds, figures };
  } finally {
    const code = await server.stop();
    if (code !== 0) console.error(`server of reading ${r.name} exited with ${code}`);
  }
}

/**
 * Columns sized to their widest cell; the first `leftColumns` are left-aligned, the rest right.
 */
function table(head: string[], rows: (string | number)[][], leftColumns = 1): string[] {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells.map((r) =>
    r.map((cell, c) => c < leftColumns ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
      .join("  ").trimEnd()
  );
}

const s1 = (n: number) => n.toFixed(1);

function summaryTable(results: readonly ReadingResult[]): string[] {
  return table(
    ["reading", "KEEP0/RANGE/FILES", "strategy", "NPU s", "min s", "ratio", "prefilled/new"]
      .concat(["generated", "resets", "cold", "f-ups model/cached"]),
    results.map(({ reading: r, strategy, figures: f }) => [
      r.name,
      `${r.keep0}/${r.range}/${r.files}`,
      strategy,
      s1(f.npuSeconds),
      s1(f.minimumSeconds),
      f.ratio.toFixed(2),
      `${f.prefilled}/${f.newPromptTokens}`,
      f.generated,
      f.resets,
      `${f.cold}/${f.answers - f.replayed}`,
      `${f.followUps.byModel}/${f.followUps.cached}`,
    ]),
    3,
  );
}

function detailTable(results: readonly ReadingResult[]): string[] {
  return table(
    ["reading", "answers replayed", "f-ups sent", "non-empty lists", "calibration runs"]
      .concat(["calibration NPU s", "session wall s"]),
    results.map(({ reading: r, wallSeconds, figures: f }) => [
      r.name,
      f.replayed,
      f.followUps.sent,
      f.followUps.nonEmpty,
      f.calibration.runs,
      f.calibration.npuSeconds.toFixed(2),
      s1(wallSeconds),
    ]),
  );
}

/** Short answer labels for column heads: A5 web → A5w, A9 regenerate → A9r, … */
const shortLabel = (label: string) => label.replace(/ (\w)\w*$/, "$1");

function ttftTable(results: readonly ReadingResult[]): string[] {
  const answersOf = (r: ReadingResult) => r.figures.steps.filter((s) => s.kind === "answer");
  return table(
    ["reading", ...answersOf(results[0]).map((s) => shortLabel(s.label))],
    results.map((r) => [
      r.reading.name,
      ...answersOf(r).map((s) => s.replayed ? "r" : s.ttftMs === null ? "-" : s.ttftMs.toFixed(0)),
    ]),
  );
}

function stepTable(result: ReadingResult): string[] {
  return table(
    ["request", "new", "kv before", "prefilled", "generated", "NPU s", "ms", "flags", "server"],
    result.figures.steps.map((s) => {
      const run = s.runs.at(-1);
      const flags = [
        s.reset ? "RESET" : "",
        s.cold ? "cold" : "",
        s.replayed ? "replayed" : "",
        s.task === "follow_ups" ? (s.chatCached ? "chat-cached" : "chat-not-cached") : "",
        run && run.result !== "finish" ? run.result : "",
      ].filter(Boolean).join(",");
      return [
        s.label,
        s.newPromptTokens,
        run?.kvBefore ?? "-",
        run?.prefilled ?? "-",
        run?.generated ?? "-",
        s.npuSeconds.toFixed(2),
        (s.ttftMs ?? s.ms).toFixed(0),
        flags || "-",
        s.server,
      ];
    }),
  );
}

function printTables(results: readonly ReadingResult[], steps: boolean): void {
  const print = (lines: string[]) => lines.forEach((l) => console.log(l));
  console.log(SCRIPT_TEXT);
  console.log(
    `\nMock timing: ${TOKEN_MS} ms per generated token, ${PREFILL_TOKEN_US} µs per prefilled ` +
      `position (time scale ${TIME_SCALE.toFixed(3)}, 1/${(1 / TIME_SCALE).toFixed(1)} of the ` +
      `board); ${REPLY_TOKENS} words per reply${
        JSON_REPLIES ? ", each ending with a follow-ups JSON object (--json-replies)" : ""
      }.`,
  );
  print([
    `NPU s: at board speed from the mock log, per run prefill_tokens / ` +
    `${BOARD.prefillPerSecond} tok/s + generated tokens / ${BOARD.decodePerSecond} tok/s ` +
    `(calibration probes apart).`,
    `min s: the new tokens only, at the same rates: for each answer that ran, its new user ` +
    `message (web: with the retrieved context;`,
    `  a chat's first: with the system prompt) + its generated tokens; for each follow-ups ` +
    `task the model answered, its instruction`,
    `  (the template without <chat_history>) + its generated tokens. Tokens as the mock ` +
    `counts them (UTF-8 bytes / 4).`,
    `prefilled/new: tokens prefilled vs the minimum's new prompt tokens. resets: answers (not ` +
    `a chat's first) that prefilled`,
    `  > their new tokens + ${RESET_SLACK}. cold: answers whose run began on an empty KV ` +
    `cache / answers that ran (a chat's first is cold by nature).`,
    `f-ups model/cached: follow-ups tasks the model answered (suggestions produced) / those ` +
    `sent while their chat was cached.`,
    "",
  ]);
  print(summaryTable(results));
  console.log("");
  print(detailTable(results));
  console.log(`\nTime to first token, wall ms at the time scale (r: replayed without a run):`);
  print(ttftTable(results));
  if (!steps) return;
  for (const r of results) {
    console.log(
      `\nRequests of reading ${r.reading.name} (new: new tokens; server: its kv= label):`,
    );
    print(stepTable(r));
  }
}

const names = Deno.args.find((a) => a.startsWith("--reading="))?.slice(10).split(",");
const unknown = names?.filter((n) => !READINGS.some((r) => r.name === n)) ?? [];
if (unknown.length) {
  console.error(
    `unknown reading ${unknown.join(", ")}; one of ${READINGS.map((r) => r.name).join(", ")}`,
  );
  Deno.exit(2);
}
const chosen = READINGS.filter((r) => !names || names.includes(r.name));
const json = Deno.args.includes("--json");
/** A folder to copy each reading's mock call log to (for reading it by hand). */
const keepLog = Deno.args.find((a) => a.startsWith("--keep-logs="))?.slice(12);
const results: ReadingResult[] = [];
const started = performance.now();
for (const r of chosen) {
  if (!json) console.error(`reading ${r.name}…`);
  results.push(await runReading(r));
}
if (json) {
  console.log(JSON.stringify(
    {
      timing: { tokenMs: TOKEN_MS, prefillTokenUs: PREFILL_TOKEN_US, timeScale: TIME_SCALE },
      board: BOARD,
      readings: results,
    },
    null,
    2,
  ));
} else {
  printTables(results, Deno.args.includes("--steps") || chosen.length === 1);
  console.log(`\nBench time: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
