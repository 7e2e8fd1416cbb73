/**
 * Model routes: `GET /v1/models`, `GET /v1/models/:id`, `POST /v1/models/select` (pre-load
 * through the queue) and `POST /v1/models/unload`. Responses report canonical ids, never aliases.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ModelNotFoundError } from "../errors.ts";
import type { ChatService, ModelInfo } from "../engine/types.ts";
import { readJson } from "../http/json_body.ts";
import { parseBody } from "../http/validation.ts";

export function modelObject(m: ModelInfo, created: number): Record<string, unknown> {
  return {
    id: m.id,
    object: "model",
    created,
    owned_by: "rkllm",
    context_length: m.contextLength,
    // "vision" next to the reference server's "vl": the name other servers and clients use.
    capabilities: m.capabilities.includes("vl") ? [...m.capabilities, "vision"] : m.capabilities,
    aliases: m.aliases,
  };
}

const selectSchema = z.looseObject({
  model: z.string({ error: "is required" }).trim().min(1, { error: "must not be empty" }),
});

export function modelRoutes(service: ChatService, startedAt: number): Hono {
  const app = new Hono();
  app.get("/models", (c) =>
    c.json({
      object: "list",
      data: service.listModels().map((m) => modelObject(m, startedAt)),
    }));
  app.get("/models/:id{.+}", (c) => {
    const name = c.req.param("id");
    const model = service.findModel(name);
    if (!model) throw new ModelNotFoundError(name, service.listModels().map((m) => m.id));
    return c.json(modelObject(model, startedAt));
  });
  app.post("/models/select", async (c) => {
    const { model } = parseBody(selectSchema, await readJson(c));
    const id = await service.select(model, c.req.raw.signal);
    return c.json({ status: "ok", model: id });
  });
  app.post("/models/unload", async (c) => {
    const unloaded = await service.unload(c.req.raw.signal);
    return c.json(
      unloaded
        ? { status: "ok", unloaded }
        : { status: "ok", unloaded: null, message: "no model loaded" },
    );
  });
  return app;
}
