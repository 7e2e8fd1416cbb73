/**
 * Over a thousand malformed or odd requests against ONE running server (the corpus is in
 * tests/support/bad_inputs.ts). Every rejected case must get its 4xx with its API's error body
 * (OpenAI's; Ollama's under /api; Anthropic's on /v1/messages) and must not reach the runtime;
 * the "accepted" list holds valid-but-odd input that must be answered like a normal request.
 * Afterwards the server is still healthy, serves a normal chat, and never ran two runs at once.
 */
import assert from "node:assert/strict";
import {
  type AcceptedCase,
  acceptedInputs,
  type AnswerKind,
  badInputs,
  CORPUS_MAX_MESSAGES,
  type CorpusOptions,
  hasOllamaEmbed,
  type HttpCase,
  MODEL,
  type RejectedCase,
} from "../support/bad_inputs.ts";
import { type MockLogLine, readMockLog } from "../support/mock.ts";
import { startServer, type TestServer } from "../support/server.ts";

const CANONICAL_MODEL = "phi-3-mini-4k-instruct";

function send(url: string, c: HttpCase): Promise<Response> {
  const body = typeof c.body === "function" ? c.body() : c.body;
  const init: RequestInit & { duplex?: "half" } = { method: c.method, headers: c.headers, body };
  if (body instanceof ReadableStream) init.duplex = "half";
  return fetch(url + c.path, init);
}

/** `{"error":{"message": string, "type": string, "param": string|null, "code": string|null}}`. */
function assertErrorShape(body: unknown): asserts body is {
  error: { message: string; type: string; param: string | null; code: string | null };
} {
  assert.ok(typeof body === "object" && body !== null && !Array.isArray(body), "an object");
  assert.deepEqual(Object.keys(body), ["error"]);
  const error = (body as { error: unknown }).error as Record<string, unknown>;
  assert.ok(typeof error === "object" && error !== null, "error is an object");
  assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "type"]);
  assert.equal(typeof error.message, "string");
  assert.ok((error.message as string).length > 0, "the message is not empty");
  assert.equal(typeof error.type, "string");
  assert.ok(error.param === null || typeof error.param === "string", "param: string | null");
  assert.ok(error.code === null || typeof error.code === "string", "code: string | null");
}

/** `param` names `field` itself or a path inside it (`messages[0].role` is in `messages`). */
function inField(param: string | null, field: string): boolean {
  return param === field || param?.startsWith(`${field}[`) === true ||
    param?.startsWith(`${field}.`) === true;
}

const runStarts = (log: MockLogLine[]) => log.filter((l) => l.event === "run_start").length;
const inits = (log: MockLogLine[]) => log.filter((l) => l.fn === "rkllm_init").length;

/** Ollama's `{"error": "<message>"}`. */
function assertOllamaErrorShape(body: unknown): void {
  assert.ok(typeof body === "object" && body !== null && !Array.isArray(body), "an object");
  assert.deepEqual(Object.keys(body), ["error"]);
  const message = (body as { error: unknown }).error;
  assert.ok(typeof message === "string" && message.length > 0, "error is a message");
}

/** Anthropic's `{"type": "error", "error": {"type", "message"}}`. */
function assertAnthropicErrorShape(body: unknown): void {
  const b = body as { type?: unknown; error?: { type?: unknown; message?: unknown } };
  assert.equal(b.type, "error");
  assert.equal(typeof b.error?.type, "string");
  assert.ok(typeof b.error?.message === "string" && b.error.message.length > 0);
}

async function checkRejected(server: TestServer, c: RejectedCase): Promise<void> {
  const before = await readMockLog(server.mockLog);
  const res = await send(server.url, c);
  const allowed = Array.isArray(c.status) ? c.status : [c.status];
  assert.ok(allowed.every((s) => s >= 400 && s < 500), "the corpus expects only 4xx");
  assert.ok(allowed.includes(res.status), `status ${res.status}, expected ${allowed.join("/")}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = await res.json();
  if (c.path.startsWith("/api/")) {
    return assertNoRun(server, before, () => assertOllamaErrorShape(body));
  }
  if (c.path === "/v1/messages") {
    return assertNoRun(server, before, () => assertAnthropicErrorShape(body));
  }
  assertErrorShape(body);
  if (c.param === null) assert.equal(body.error.param, null);
  else if (c.param !== undefined) {
    assert.ok(inField(body.error.param, c.param), `param ${body.error.param} is in ${c.param}`);
  }
  if (c.code !== undefined) assert.equal(body.error.code, c.code);
  await assertNoRun(server, before, () => {});
}

async function assertNoRun(
  server: TestServer,
  before: MockLogLine[],
  check: () => void,
): Promise<void> {
  check();
  const after = await readMockLog(server.mockLog);
  assert.equal(runStarts(after), runStarts(before), "no rkllm_run for a rejected request");
  assert.equal(inits(after), inits(before), "no model load for a rejected request");
}

/** Runs of the runtime an answer of each kind takes (an embedding of one input is one run). */
const RUNS: Record<AnswerKind, number> = {
  "chat": 1,
  "completion": 1,
  "embedding": 1,
  "ollama-chat": 1,
  "ollama-generate": 1,
  "ollama-embed": 1,
  "ollama-show": 0,
  "select": 0,
};

/** The shape of a successful answer of each endpoint. */
// deno-lint-ignore no-explicit-any
function assertAnswer(kind: AnswerKind, body: Record<string, any>): void {
  switch (kind) {
    case "chat":
      return assertChatCompletion(body);
    case "completion":
      assert.equal(body.object, "text_completion");
      assert.equal(body.model, CANONICAL_MODEL);
      assert.equal(typeof body.choices[0].text, "string");
      return;
    case "embedding":
      assert.equal(body.object, "list");
      assert.ok(body.data[0].embedding.length > 0);
      assert.ok(body.data[0].embedding.every(Number.isFinite));
      return;
    case "ollama-chat":
      assert.equal(body.model, CANONICAL_MODEL);
      assert.equal(body.done, true);
      assert.equal(body.message.role, "assistant");
      assert.equal(typeof body.message.content, "string");
      return;
    case "ollama-generate":
      assert.equal(body.model, CANONICAL_MODEL);
      assert.equal(body.done, true);
      assert.equal(typeof body.response, "string");
      return;
    case "ollama-embed":
      assert.ok(body.embeddings[0].length > 0);
      return;
    case "ollama-show":
      assert.equal(typeof body.modelfile, "string");
      return;
    case "select":
      assert.equal(body.model, CANONICAL_MODEL);
      return;
  }
}

async function checkAccepted(server: TestServer, c: AcceptedCase): Promise<void> {
  const before = runStarts(await readMockLog(server.mockLog));
  const res = await send(server.url, c);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body).slice(0, 300));
  const kind = c.answer ?? "chat";
  assertAnswer(kind, body);
  const starts = (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");
  assert.equal(starts.length, before + RUNS[kind], "runs of the runtime");
  if (c.prompt === undefined) return;
  const prompt = String(starts.at(-1)!.prompt);
  if (typeof c.prompt === "string") assert.equal(prompt, c.prompt);
  else assert.match(prompt, c.prompt);
}

// deno-lint-ignore no-explicit-any
function assertChatCompletion(body: Record<string, any>): void {
  assert.match(body.id, /^chatcmpl-/);
  assert.equal(body.object, "chat.completion");
  assert.equal(body.model, CANONICAL_MODEL);
  assert.equal(body.choices.length, 1);
  const [choice] = body.choices;
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, "assistant");
  assert.equal(typeof choice.message.content, "string");
  assert.ok(["stop", "length", "tool_calls"].includes(choice.finish_reason), choice.finish_reason);
  for (const k of ["prompt_tokens", "completion_tokens", "total_tokens"]) {
    assert.ok(Number.isInteger(body.usage[k]), `usage.${k}`);
  }
}

Deno.test("bad input: a corpus of malformed requests gets 4xx errors from one server that stays up", async (t) => {
  const server = await startServer({
    env: { RKLLM_MOCK_TOKENS: "4" },
    args: ["--max-messages", String(CORPUS_MAX_MESSAGES)],
  });
  const opts: CorpusOptions = {
    ollamaEmbed: await hasOllamaEmbed((path, init) => fetch(server.url + path, init)),
    maxMessages: CORPUS_MAX_MESSAGES,
  };
  if (!opts.ollamaEmbed) {
    console.log("bad-input corpus: no POST /api/embed here; its cases skipped");
  }
  const rejected = [...badInputs(opts)];
  const accepted = acceptedInputs(opts);
  const names = [...rejected, ...accepted].map((c) => c.name);
  assert.equal(new Set(names).size, names.length, "case names are unique");
  assert.ok(names.length > 1000, `${names.length} cases`);
  const groups = new Map<string, number>();
  for (const c of rejected) groups.set(c.group, (groups.get(c.group) ?? 0) + 1);
  console.log(
    `bad-input corpus: ${rejected.length} rejected + ${accepted.length} accepted = ${names.length} ` +
      `(${[...groups].map(([g, n]) => `${g} ${n}`).join(", ")})`,
  );
  const expectedRuns = accepted.reduce((n, c) => n + RUNS[c.answer ?? "chat"], 0);

  try {
    for (const c of rejected) {
      await t.step(`${c.group}: ${c.name}`, () => checkRejected(server, c));
    }
    for (const c of accepted) {
      await t.step(`accepted: ${c.name} (${c.why})`, () => checkAccepted(server, c));
    }

    await t.step("afterwards /health is 200 and a normal chat still works", async () => {
      const health = await fetch(`${server.url}/health`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).status, "ok");
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: "user", content: "still there?" }],
        }),
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.ok(body.choices[0].message.content.length > 0);
    });

    await t.step(
      "the mock log: one run per accepted case, no overlap, no stray model path",
      async () => {
        const log = await readMockLog(server.mockLog);
        assert.equal(runStarts(log), expectedRuns + 1);
        assert.ok(!log.some((l) => l.overlap === true), "no overlapping runs");
        for (const init of log.filter((l) => l.fn === "rkllm_init")) {
          const path = String(init.params?.model_path);
          assert.ok(path.startsWith(`${server.modelsDir}/`), path);
          assert.ok(!path.includes(".."), path);
          assert.match(path, /\.rkllm$/);
        }
      },
    );

    await t.step("client errors leave no ERROR line in the server log", () => {
      const errors = server.logs.filter((l) => /^\S+ ERROR /.test(l));
      assert.deepEqual(errors, []);
    });

    await t.step("no log line holds a raw control, bidi or surrogate character", () => {
      const unsafe = /[\p{Cc}\p{Cs}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
      assert.deepEqual(server.logs.filter((l) => unsafe.test(l)).map((l) => JSON.stringify(l)), []);
      assert.ok(server.logs.some((l) => l.includes('path="/\\u001b[2J\\u001b[31mred"')));
    });
  } finally {
    assert.equal(await server.stop(), 0, server.logs.slice(-20).join("\n"));
  }
});

// Message text reaches the runtime as a C string, where a NUL would end the prompt early: the
// engine removes NULs, so the question after a NUL-terminated system prompt still arrives.
Deno.test({
  name: "bad input: a NUL in message text reaches the runtime whole, or is refused with a 400",
  async fn() {
    const server = await startServer({ env: { RKLLM_MOCK_TOKENS: "4" } });
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          model: MODEL,
          messages: [
            { role: "system", content: "Be brief.\u0000" },
            { role: "user", content: "What is the capital of France?" },
          ],
        }),
      });
      const body = await res.json();
      const start = (await readMockLog(server.mockLog)).find((l) => l.event === "run_start");
      if (res.status === 400) {
        assertErrorShape(body);
        assert.equal(start, undefined);
        return;
      }
      assert.equal(res.status, 200);
      assert.match(String(start?.prompt), /capital of France/, JSON.stringify(start?.prompt));
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});

/** Sends raw bytes over TCP, half-closes, and returns the status code and the body text. */
async function rawRequest(url: string, request: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(new TextEncoder().encode(request));
    await conn.closeWrite();
    const text = await new Response(conn.readable).text();
    const status = Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1]);
    return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
  } finally {
    try {
      conn.close();
    } catch {
      // already closed by the readable stream
    }
  }
}

// A body cut short of its Content-Length (or a chunked body that ends early) is a 400.
Deno.test({
  name: "bad input: a body cut short of its Content-Length is a 400, not a server error",
  async fn() {
    const server = await startServer();
    try {
      const json = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
      const { status, body } = await rawRequest(
        server.url,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
          `Content-Type: application/json\r\nContent-Length: ${json.length + 40}\r\n\r\n${json}`,
      );
      assert.equal(status, 400, body);
      assertErrorShape(JSON.parse(body));
      assert.deepEqual(server.logs.filter((l) => / ERROR /.test(l)), []);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});
