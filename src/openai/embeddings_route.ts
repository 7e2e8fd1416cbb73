/**
 * `POST /v1/embeddings`: string or list-of-strings input, `encoding_format` float or base64,
 * optional `dimensions`. Token-array input is refused: the runtime takes text.
 */
import type { Context } from "hono";
import { z } from "zod";
import { embeddingBase64 } from "../engine/embedding.ts";
import type { ChatService } from "../engine/types.ts";
import { readJson } from "../http/json_body.ts";
import { parseBody } from "../http/validation.ts";

const MAX_INPUTS = 256;

const text = z.string().min(1, { error: "must not be empty" });
const embeddingsSchema = z.looseObject({
  model: z.string({ error: "is required" }).trim().min(1, { error: "must not be empty" }),
  input: z.union([text, z.array(text).min(1).max(MAX_INPUTS)], {
    error: `must be a non-empty string or a list of 1 to ${MAX_INPUTS} non-empty strings`,
  }),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().positive().nullish(),
});

export function embeddingsHandler(service: ChatService) {
  return async (c: Context): Promise<Response> => {
    const body = parseBody(embeddingsSchema, await readJson(c));
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    const result = await service.embed(body.model, inputs, {
      dimensions: body.dimensions ?? undefined,
      signal: c.req.raw.signal,
    });
    const base64 = body.encoding_format === "base64";
    return c.json({
      object: "list",
      data: result.vectors.map((v, index) => ({
        object: "embedding",
        index,
        embedding: base64 ? embeddingBase64(v) : Array.from(v),
      })),
      model: result.model,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    });
  };
}
