/**
 * Ollama's embedding endpoints, over `ChatService.embed`: `POST /embed` (`input` a string or a
 * list, `truncate` (default true) cuts an input to the model's context, false refuses it with a
 * 400; `dimensions`; `keep_alive` accepted) answering `{model, embeddings, …}`, and the legacy
 * `POST /embeddings` (`prompt` → `{embedding}`). Vectors are unit length, as `/v1/embeddings`
 * returns them. An empty input answers an empty list without running the model, as Ollama does.
 */
import { keepAlive, optionsSchema } from "./schema.ts";
import { Hono } from "hono";
import { z } from "zod";
import type { ChatService, ModelInfo } from "../engine/types.ts";
import { estimateTokens } from "../engine/prompt.ts";
import { readJson } from "../http/json_body.ts";
import { parseBody } from "../http/validation.ts";
import { resolveModel } from "./wire.ts";

export const MAX_EMBED_INPUTS = 256;

const model = z.string({ error: "is required (a model name from GET /api/tags)" }).trim()
  .min(1, { error: "must not be empty" });
const text = z.string().min(1, { error: "must not be empty" });
/**
 * Accepted for compatibility (the scheduler's idle unload decides when a model goes, and an
 * embedding has no sampling), but checked as chat checks them.
 */
const accepted = {
  keep_alive: keepAlive.nullish(),
  options: optionsSchema.nullish(),
};

const embedSchema = z.looseObject({
  model,
  input: z.union([z.string(), z.array(text).max(MAX_EMBED_INPUTS)], {
    error: `must be a string or a list of at most ${MAX_EMBED_INPUTS} non-empty strings`,
  }).nullish(),
  truncate: z.boolean({ error: "must be true or false" }).nullish(),
  dimensions: z.number().int().positive().nullish(),
  ...accepted,
});

const legacySchema = z.looseObject({
  model,
  prompt: z.string({ error: "must be a string" }).nullish(),
  ...accepted,
});

/** The longest prefix of `text` whose estimated token count fits `maxTokens` (the engine's estimate). */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (estimateTokens(text) <= maxTokens) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateTokens(chars.slice(0, mid).join("")) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join("");
}

export interface EmbedRouteDeps {
  /** Monotonic clock in ms for `total_duration`. */
  clock: () => number;
}

export function embedRoutes(service: ChatService, deps: EmbedRouteDeps): Hono {
  const app = new Hono();
  const describe = (name: string): ModelInfo | undefined =>
    resolveModel(name, (n) => service.describeModel?.(n) ?? service.findModel(n));

  /** Canonical id (unknown names go to the engine as sent: it answers the 404) and context. */
  const target = (name: string): { id: string; context?: number } => {
    const found = describe(name);
    return found ? { id: found.id, context: found.contextLength } : { id: name };
  };

  app.post("/embed", async (c) => {
    const started = deps.clock();
    const body = parseBody(embedSchema, await readJson(c));
    const { id, context } = target(body.model);
    const raw = body.input == null
      ? []
      : typeof body.input === "string"
      ? [body.input]
      : body.input;
    const inputs = raw.filter((t) => t.length > 0);
    if (inputs.length === 0) return c.json({ model: id, embeddings: [] });
    const cut = body.truncate !== false && context !== undefined
      ? inputs.map((t) => truncateToTokens(t, context))
      : inputs;
    const result = await service.embed(id, cut, {
      dimensions: body.dimensions ?? undefined,
      signal: c.req.raw.signal,
    });
    return c.json({
      model: result.model,
      embeddings: result.vectors.map((v) => Array.from(v)),
      total_duration: Math.max(0, Math.round((deps.clock() - started) * 1e6)),
      load_duration: 0,
      prompt_eval_count: result.promptTokens,
    });
  });

  app.post("/embeddings", async (c) => {
    const body = parseBody(legacySchema, await readJson(c));
    if (!body.prompt) return c.json({ embedding: [] });
    const result = await service.embed(target(body.model).id, [body.prompt], {
      signal: c.req.raw.signal,
    });
    return c.json({ embedding: Array.from(result.vectors[0]) });
  });
  return app;
}
