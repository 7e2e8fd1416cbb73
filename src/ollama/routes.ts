/**
 * Ollama's API, mounted at `/api`: `GET /version`, `GET /tags`, `POST /show`, `GET /ps`,
 * `POST /chat` and `POST /generate` (NDJSON streams by default, one JSON object with
 * `stream: false`), the embedding endpoints (embed_routes.ts) and pull/delete (admin_routes.ts).
 * Requests are validated (schema.ts), converted (wire.ts) and run on the same `ChatService` as
 * the OpenAI routes; `format` goes through the structured-output layer. Errors are rendered by
 * the app (Ollama's `{"error": "…"}` under /api, src/http/errors.ts); a failure after a stream
 * started is one final `{"error": …}` line. Streams use the shared protocol stream.
 */
import { type Context, Hono } from "hono";
import { startStructured } from "../engine/structured_output.ts";
import { fromOllamaFormat } from "../chat/structured_format.ts";
import { ModelNotFoundError } from "../errors.ts";
import { ollamaErrorBody } from "../http/errors.ts";
import { ignoredParamsHeader, protocolStream } from "../http/protocol_stream.ts";
import type {
  ChatEvent,
  ChatGeneration,
  ChatService,
  FinishReason,
  ModelInfo,
  Usage,
} from "../engine/types.ts";
import { readJson } from "../http/json_body.ts";
import type { Logger } from "../log.ts";
import type { ModelAdmin } from "../models/admin.ts";
import { checkMessageCount, parseBody } from "../http/validation.ts";
import { collectReply, type Reply } from "../http/reply.ts";
import { adminRoutes } from "./admin_routes.ts";
import { embedRoutes } from "./embed_routes.ts";
import { NDJSON_HEADERS, ndjsonLine, ndjsonResponse } from "./ndjson.ts";
import {
  chatBodySchema,
  generateBodySchema,
  type OllamaChatBody,
  type OllamaGenerateBody,
  showBodySchema,
} from "./schema.ts";
import {
  assistantMessage,
  chatDeltaMessage,
  chatDone,
  chatLine,
  chatToRequest,
  type ConvertedRequest,
  generateDone,
  generateLine,
  generateToRequest,
  isoTime,
  isUnloadKeepAlive,
  type LineMeta,
  loadOnlyChat,
  loadOnlyGenerate,
  OLLAMA_API_VERSION,
  psEntry,
  resolveModel,
  showResponse,
  tagsEntry,
  type Timings,
} from "./wire.ts";

export interface OllamaDeps {
  log: Logger;
  /** Wall clock in ms since the epoch (`created_at`, `modified_at`); injected for tests. */
  now?: () => number;
  /** Monotonic clock in ms for the `*_duration` fields; injected for tests. */
  clock?: () => number;
  /** Pull and delete; absent: those routes answer 501. */
  admin?: ModelAdmin;
  /** Most messages one chat request may hold (`max_messages`); unbounded when absent. */
  maxMessages?: number;
  /** Cut off a streaming client that stops reading for this long (ms). */
  writeStallMs?: number;
}

type Env = { Variables: { requestId: string } };

/** `/api/ps` `expires_at` when the model is not unloaded for idleness (or that is not known). */
export const NO_EXPIRY = "9999-12-31T23:59:59Z";

type Kind = "chat" | "generate";

/** Phase boundaries of one request on the injected clock. */
class PhaseTimer {
  #clock: () => number;
  #received: number;
  #started: number;
  #first: number | null = null;

  constructor(clock: () => number, received: number) {
    this.#clock = clock;
    this.#received = received;
    this.#started = clock();
  }

  /** A token (or reasoning, or tool call) arrived. */
  mark(): void {
    if (this.#first === null) this.#first = this.#clock();
  }

  timings(): Timings {
    const end = this.#clock();
    const first = this.#first ?? end;
    return {
      totalMs: end - this.#received,
      loadMs: this.#started - this.#received,
      promptMs: first - this.#started,
      evalMs: end - first,
    };
  }
}

/** What a final line carries: the whole reply when not streamed, nothing more when streamed. */
type Accumulated = Pick<Reply, "content" | "reasoning" | "toolCalls">;

function finalObject(
  kind: Kind,
  meta: LineMeta,
  acc: Accumulated,
  finish: FinishReason,
  usage: Usage,
  timings: Timings,
): Record<string, unknown> {
  if (kind === "chat") {
    const message = assistantMessage(acc.content, acc.reasoning, acc.toolCalls);
    return chatDone(meta, message, finish, usage, timings);
  }
  return generateDone(meta, acc.content.trim(), acc.reasoning.trim(), finish, usage, timings);
}

/** One streamed line for a delta event; null when the endpoint has nothing to say for it. */
function deltaLine(
  kind: Kind,
  meta: LineMeta,
  event: Exclude<ChatEvent, { type: "done" | "error" }>,
  toolCallsSoFar: number,
): Record<string, unknown> | null {
  if (kind === "chat") return chatLine(meta, chatDeltaMessage(event, toolCallsSoFar));
  if (event.type === "content") return generateLine(meta, event.text);
  if (event.type === "reasoning") return generateLine(meta, "", event.text);
  return null;
}

export function ollamaRoutes(service: ChatService, deps: OllamaDeps): Hono<Env> {
  const now = deps.now ?? Date.now;
  const clock = deps.clock ?? (() => performance.now());
  const modifiedAt = isoTime(now());
  const app = new Hono<Env>();
  const meta = (model: string): LineMeta => ({ model, createdAt: isoTime(now()) });
  const notFound = (name: string): ModelNotFoundError =>
    new ModelNotFoundError(name, service.listModels().map((m) => m.id));
  const find = (name: string): ModelInfo | undefined =>
    resolveModel(name, (n) => service.findModel(n));

  // A plain x.y.z: Open WebUI compares dot-separated integers (build metadata breaks it).
  app.get("/version", (c) => c.json({ version: OLLAMA_API_VERSION }));

  app.get(
    "/tags",
    (c) => c.json({ models: service.listModels().map((m) => tagsEntry(m, modifiedAt)) }),
  );

  app.post("/show", async (c) => {
    const body = parseBody(showBodySchema, await readJson(c));
    const name = body.model || body.name || "";
    const model = find(name);
    if (!model) throw notFound(name);
    return c.json(showResponse(model, modifiedAt));
  });

  app.get("/ps", (c) => {
    const status = service.status();
    const loaded = status.loadedModel;
    // An embedding-only model is loaded too (by /api/embed), though chat cannot name it.
    const model = loaded === null
      ? undefined
      : service.describeModel?.(loaded) ?? service.findModel(loaded);
    const expires = status.idleUnloadAt == null ? NO_EXPIRY : isoTime(status.idleUnloadAt);
    return c.json({ models: model ? [psEntry(model, expires)] : [] });
  });

  app.route("/", embedRoutes(service, { clock }));
  app.route("/", adminRoutes(deps.admin));

  /** A request without messages (chat) or prompt (generate) only loads or unloads the model. */
  async function loadOnly(
    c: Context<Env>,
    kind: Kind,
    body: OllamaChatBody | OllamaGenerateBody,
  ): Promise<Response> {
    const model = find(body.model);
    if (!model) throw notFound(body.model);
    const signal = c.req.raw.signal;
    let reason: "load" | "unload";
    if (isUnloadKeepAlive(body.keep_alive)) {
      if (service.status().loadedModel === model.id) await service.unload(signal);
      reason = "unload";
    } else {
      await service.select(model.id, signal);
      reason = "load";
    }
    const answer = kind === "chat"
      ? loadOnlyChat(meta(model.id), reason)
      : loadOnlyGenerate(meta(model.id), reason);
    if (body.stream === false) return c.json(answer);
    return ndjsonResponse((async function* () {
      yield answer;
    })());
  }

  function stream(
    kind: Kind,
    gen: ChatGeneration,
    timer: PhaseTimer,
    headers: Record<string, string>,
  ): Response {
    let toolCalls = 0;
    return protocolStream<unknown>(
      gen,
      {
        delta: (event) => {
          const line = deltaLine(kind, meta(gen.model), event, toolCalls);
          if (event.type === "tool_calls") toolCalls += event.calls.length;
          return line;
        },
        // Everything was streamed: the last line carries only the end and the stats.
        done: (event) => [
          finalObject(
            kind,
            meta(gen.model),
            { content: "", reasoning: "", toolCalls: [] },
            event.finishReason,
            event.usage,
            timer.timings(),
          ),
        ],
        error: ollamaErrorBody,
      },
      { frame: ndjsonLine, headers: { ...NDJSON_HEADERS } },
      {
        log: deps.log,
        component: "ollama",
        headers,
        onDelta: () => timer.mark(),
        writeStallMs: deps.writeStallMs,
      },
    );
  }

  async function collect(
    c: Context<Env>,
    kind: Kind,
    gen: ChatGeneration,
    timer: PhaseTimer,
    headers: Record<string, string>,
  ): Promise<Response> {
    const reply = await collectReply(gen, c.req.raw.signal, () => timer.mark());
    const body = finalObject(
      kind,
      meta(gen.model),
      reply,
      reply.finishReason,
      reply.usage,
      timer.timings(),
    );
    return c.json(body, 200, headers);
  }

  async function generation(c: Context<Env>, kind: Kind): Promise<Response> {
    const received = clock();
    const requestId = c.get("requestId") ?? crypto.randomUUID().replaceAll("-", "").slice(0, 24);
    const raw = await readJson(c);
    let body: OllamaChatBody | OllamaGenerateBody;
    let converted: ConvertedRequest | null;
    if (kind === "chat") {
      checkMessageCount(raw, deps.maxMessages);
      const chat = parseBody(chatBodySchema, raw);
      body = chat;
      converted = chat.messages?.length
        ? chatToRequest(chat, requestId, find(chat.model)?.id ?? chat.model)
        : null;
    } else {
      const gen = parseBody(generateBodySchema, raw);
      body = gen;
      converted = gen.prompt
        ? generateToRequest(gen, requestId, find(gen.model)?.id ?? gen.model)
        : null;
    }
    if (!converted) return loadOnly(c, kind, body);

    const format = fromOllamaFormat(body.format);
    const gen = await startStructured(service, converted.request, format, {
      param: "format",
    }, c.req.raw.signal);
    const timer = new PhaseTimer(clock, received);
    const headers = ignoredParamsHeader(gen, converted.ignored, deps.log, "ollama");
    return body.stream === false
      ? collect(c, kind, gen, timer, headers)
      : stream(kind, gen, timer, headers);
  }

  app.post("/chat", (c) => generation(c, "chat"));
  app.post("/generate", (c) => generation(c, "generate"));
  return app;
}
