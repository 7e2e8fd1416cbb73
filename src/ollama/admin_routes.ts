/**
 * Ollama's model management over a `ModelAdmin`: `POST /pull` (`model` or `name`: a Hugging Face
 * `<owner>/<repo>[:<file or quant>]`; NDJSON progress `{status, digest?, total?, completed?}` by
 * default, one `{"status":"success"}` with `stream: false`) and `DELETE /delete` (200 with an
 * empty body, as Ollama answers). A bad reference is refused before the stream starts; a failure
 * during the stream is its last line, `{"error": …}`. A client that leaves stops the download
 * (the partial file stays and the next pull resumes it). Without an admin, both answer 501.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../errors.ts";
import { readJson } from "../http/json_body.ts";
import type { ModelAdmin } from "../models/admin.ts";
import { parseReference } from "../models/pull/reference.ts";
import { parseBody } from "../http/validation.ts";
import { ndjsonResponse } from "./ndjson.ts";

export class ModelAdminDisabledError extends ApiError {
  constructor() {
    super(
      "not_implemented",
      "not_implemented",
      "Model management is not enabled on this server; copy .rkllm folders into its models " +
        "folder instead.",
    );
  }
}

/** Ollama clients send `model`; older ones `name`. */
const named = <T extends z.ZodRawShape>(shape: T) =>
  z.looseObject({
    model: z.string({ error: "must be a string" }).trim().nullish(),
    name: z.string({ error: "must be a string" }).trim().nullish(),
    ...shape,
  }).refine((b) => Boolean(b.model || b.name), {
    error: "is required (a model name)",
    path: ["model"],
  });

const pullSchema = named({
  stream: z.boolean({ error: "must be true or false" }).nullish(),
  /** Ollama's registry option; there is no insecure transport to allow here. */
  insecure: z.boolean().nullish(),
});
const deleteSchema = named({});

export function adminRoutes(admin: ModelAdmin | undefined): Hono {
  const app = new Hono();
  const need = (): ModelAdmin => {
    if (!admin) throw new ModelAdminDisabledError();
    return admin;
  };

  app.post("/pull", async (c: Context) => {
    const body = parseBody(pullSchema, await readJson(c));
    const admin = need();
    const reference = (body.model || body.name)!;
    parseReference(reference);
    if (body.stream === false) {
      const pull = admin.pull(reference, c.req.raw.signal);
      for await (const _ of pull) {
        // Progress is for streaming clients; this one waits for the end.
      }
      return c.json({ status: "success" });
    }
    const abort = new AbortController();
    return ndjsonResponse(admin.pull(reference, abort.signal), { onCancel: () => abort.abort() });
  });

  app.delete("/delete", async (c: Context) => {
    const body = parseBody(deleteSchema, await readJson(c));
    await need().remove((body.model || body.name)!);
    return c.body(null, 200);
  });
  return app;
}
