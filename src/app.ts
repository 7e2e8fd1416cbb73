/**
 * createApp(deps) → the Hono app. No globals: tests build it with a fake ChatService and call
 * `app.request()`. Every error, wherever thrown, is logged and rendered here: OpenAI's error
 * body, Ollama's `{"error": …}` under /api, Anthropic's on /v1/messages.
 */
import { anthropicRoutes } from "./http/anthropic/routes.ts";
import { errorBodyFor, httpError } from "./http/errors.ts";
import { responsesRoutes } from "./http/responses/routes.ts";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { bearerAuth } from "./http/auth.ts";
import type { NpuStats } from "./metrics/npu_sysfs.ts";
import type { ServerMetrics } from "./metrics/server_metrics.ts";
import { MethodNotAllowedError, PayloadTooLargeError, RouteNotFoundError } from "./errors.ts";
import type { ChatService } from "./engine/types.ts";
import type { Logger } from "./log.ts";
import type { ModelAdmin } from "./models/admin.ts";
import { chatCompletionsHandler } from "./openai/chat_route.ts";
import { completionsHandler } from "./openai/completions_route.ts";
import { embeddingsHandler } from "./openai/embeddings_route.ts";
import { modelRoutes } from "./openai/models_route.ts";
import { ollamaRoutes } from "./ollama/routes.ts";
import { VERSION } from "./version.ts";

export interface AppDeps {
  service: ChatService;
  log: Logger;
  /** Seconds between SSE keep-alive comments; 0 disables. */
  keepAliveSeconds: number;
  /** Cut off a streaming client that stops reading for this long (ms; absent: no limit). */
  writeStallMs?: number;
  maxBodyBytes: number;
  /** Most messages one chat request may hold; more → 400. Unbounded when absent. */
  maxMessages?: number;
  /** Required Bearer key; empty = open server. */
  apiKey?: string;
  /** "*" or a list of allowed origins. */
  corsOrigins?: "*" | string[];
  /** Describes the runtime library in /health. */
  runtime: string;
  /** Clock in milliseconds since the epoch (injected for tests). */
  now?: () => number;
  metrics?: ServerMetrics;
  /** NPU load and frequency at scrape time. */
  npuStats?: () => NpuStats;
  /** Pull and delete of models (`/api/pull`, `/api/delete`); absent: those answer 501. */
  modelAdmin?: ModelAdmin;
}

type Env = { Variables: { requestId: string } };

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function newRequestId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

/** Process memory for /health: resident set, V8 heap, and memory outside the heap. */
function memoryMb(): Record<string, number> {
  const m = Deno.memoryUsage();
  const mb = (n: number) => Math.round(n / 1024 / 102.4) / 10;
  return {
    rss: mb(m.rss),
    heap_used: mb(m.heapUsed),
    heap_total: mb(m.heapTotal),
    external: mb(m.external),
  };
}

/** A route path pattern (`/v1/models/:id{.+}`) as a regular expression. */
function routePattern(path: string): RegExp {
  const source = path.split("/").map((part) => {
    const custom = part.match(/^:\w+\{(.+)\}$/);
    if (custom) return custom[1];
    if (part.startsWith(":")) return "[^/]+";
    if (part === "*") return ".*";
    return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }).join("/");
  return new RegExp(`^${source}$`);
}

/** Methods registered for `path` (for a 405 with Allow instead of a 404). */
function methodsFor(app: Hono<Env>, path: string): string[] {
  const methods = new Set<string>();
  for (const r of app.routes) {
    if (r.method !== "ALL" && routePattern(r.path).test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}

export function createApp(deps: AppDeps): Hono<Env> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const app = new Hono<Env>();

  app.use("*", cors({ origin: deps.corsOrigins ?? "*" }));
  app.use("*", async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : newRequestId();
    c.set("requestId", id);
    const started = performance.now();
    await next();
    c.header("X-Request-Id", id);
    // The matched route pattern keeps label values bounded; "/*" is only this middleware.
    const route = c.req.routePath;
    deps.metrics?.request(route && route !== "/*" ? route : "unmatched", c.res.status);
    deps.log.info("http", "request", {
      id,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  // Health checks (systemd, Docker, load balancers) carry no key.
  app.use("*", bearerAuth(deps.apiKey ?? "", new Set(["/health"])));
  app.use(
    "*",
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: () => {
        throw new PayloadTooLargeError(deps.maxBodyBytes);
      },
    }),
  );

  // Every failure of every route, whatever the protocol, is rendered here.
  app.onError((err, c) => {
    const e = httpError(err);
    if (c.req.raw.signal.aborted) {
      // The client left; the interrupted generation is expected and nobody reads this answer.
      deps.log.info("http", "client gone", { id: c.get("requestId") });
    } else if (e.error.code === "server_busy") {
      // A full queue is the queue working: a storm of these must not flood the log at ERROR.
      deps.log.info("http", "busy", {
        id: c.get("requestId"),
        queued: deps.service.status().queued,
      });
    } else if (e.status >= 500) {
      deps.log.error(c.req.path.startsWith("/api/") ? "ollama" : "http", "request failed", {
        id: c.get("requestId"),
        error: err instanceof Error ? err.message : String(err),
      });
    }
    return c.json(errorBodyFor(c.req.path, e), e.status as 400, e.headers);
  });
  app.notFound((c) => {
    const allowed = methodsFor(app, c.req.path);
    const e = httpError(
      allowed.length
        ? new MethodNotAllowedError(c.req.method, c.req.path, allowed)
        : new RouteNotFoundError(c.req.method, c.req.path),
    );
    return c.json(errorBodyFor(c.req.path, e), e.status as 404, e.headers);
  });

  app.get("/health", (c) => {
    const s = deps.service.status();
    const modelsAvailable = deps.service.listModels().length;
    return c.json({
      // "no_models": the models folder is empty or wrong; every chat would answer 404.
      status: s.wedged
        ? "failed"
        : s.loadingModel
        ? "loading"
        : modelsAvailable === 0
        ? "no_models"
        : "ok",
      ...(s.wedged ? { error: s.wedged } : {}),
      version: VERSION,
      model_loaded: s.loadedModel !== null,
      current_model: s.loadedModel,
      loading_model: s.loadingModel,
      busy: s.busy,
      queued: s.queued,
      models_available: modelsAvailable,
      uptime_s: Math.round((now() - startedAt) / 1000),
      runtime: deps.runtime,
      kv_cache: s.kvCache ?? null,
      memory_mb: memoryMb(),
    });
  });

  app.get("/metrics", (c) => {
    if (!deps.metrics) return c.text("metrics are disabled\n", 404);
    const npu = deps.npuStats?.() ?? { loads: [], frequencyHz: null };
    return c.text(deps.metrics.scrape(deps.service.status(), npu), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  app.get("/ready", (c) => {
    const s = deps.service.status();
    const reason = s.wedged
      ? "the NPU runtime is wedged"
      : s.loadedModel === null
      ? (s.loadingModel ? "model loading" : "no model loaded")
      : s.busy
      ? "inference in progress"
      : null;
    return reason
      ? c.json({ status: "not_ready", reason }, 503)
      : c.json({ status: "ready", model: s.loadedModel });
  });

  const chat = chatCompletionsHandler({
    service: deps.service,
    log: deps.log,
    maxMessages: deps.maxMessages,
    keepAliveMs: deps.keepAliveSeconds * 1000,
    writeStallMs: deps.writeStallMs,
    now: () => Math.floor(now() / 1000),
  });
  const completions = completionsHandler({
    service: deps.service,
    log: deps.log,
    keepAliveMs: deps.keepAliveSeconds * 1000,
    writeStallMs: deps.writeStallMs,
    now: () => Math.floor(now() / 1000),
  });
  const embeddings = embeddingsHandler(deps.service);
  const models = modelRoutes(deps.service, Math.floor(startedAt / 1000));
  for (const prefix of ["/v1", ""]) {
    app.post(`${prefix}/chat/completions`, chat);
    app.post(`${prefix}/completions`, completions);
    app.post(`${prefix}/embeddings`, embeddings);
    app.route(prefix || "/", models);
  }
  app.route(
    "/api",
    ollamaRoutes(deps.service, {
      log: deps.log,
      now,
      admin: deps.modelAdmin,
      maxMessages: deps.maxMessages,
      writeStallMs: deps.writeStallMs,
    }),
  );
  // The Responses and Messages APIs translate to a chat completion and back, through this app's
  // own chat route, so KV reuse, RAG, tasks and tools behave exactly as for chat.
  const viaChat = {
    chat: (body: unknown, signal: AbortSignal, headers: Headers) =>
      app.request("/v1/chat/completions", {
        method: "POST",
        body: JSON.stringify(body),
        headers,
        signal,
      }),
  };
  app.route("/v1", responsesRoutes(viaChat));
  app.route("/v1", anthropicRoutes(viaChat));
  return app;
}
