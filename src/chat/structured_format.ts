/**
 * The output formats a client can ask for, read from each protocol's field: OpenAI's
 * `response_format` (`text`, `json_object`, `json_schema`) and Ollama's `format` (`"json"` or a
 * JSON Schema object). A schema is checked when the request arrives (it must compile), so a
 * broken schema is a 400 before the NPU is used. Pure; imports zod, the JSON Schema validator and
 * src/errors.ts.
 */
import { Validator } from "@cfworker/json-schema";
import { z } from "zod";
import { InvalidRequestError } from "../errors.ts";

export type OutputFormat =
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown> };

/** The JSON Schema dialect schemas are read in (OpenAI's and Ollama's schemas fit it). */
export const SCHEMA_DRAFT = "2020-12";

const schemaObject = z.record(z.string(), z.unknown(), { error: "must be a JSON Schema object" });

const responseFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().nullish(),
      description: z.string().nullish(),
      schema: schemaObject.nullish(),
      strict: z.boolean().nullish(),
    }, { error: "is required with type json_schema" }),
  }),
], { error: "must be an object whose type is text, json_object or json_schema" });

function invalid(param: string, error: z.ZodError): InvalidRequestError {
  const issue = error.issues[0];
  const path = [param, ...(issue?.path ?? []).map(String)].join(".");
  return new InvalidRequestError(`Invalid '${path}': ${issue?.message ?? "invalid value"}`, path);
}

/** Fails with a 400 naming `param` when the schema cannot be used (e.g. an unresolved $ref). */
function compiled(schema: Record<string, unknown>, param: string): Record<string, unknown> {
  try {
    new Validator(schema, SCHEMA_DRAFT, false).validate(null);
  } catch (err) {
    throw new InvalidRequestError(
      `Invalid '${param}': the JSON Schema cannot be used: ${
        (err as Error).message.split("\n")[0]
      }`,
      param,
    );
  }
  return schema;
}

/** OpenAI `response_format` → the format to enforce; null for `text` or when absent. */
export function fromResponseFormat(value: unknown): OutputFormat | null {
  if (value === undefined || value === null) return null;
  const parsed = responseFormatSchema.safeParse(value);
  if (!parsed.success) throw invalid("response_format", parsed.error);
  const rf = parsed.data;
  if (rf.type === "text") return null;
  if (rf.type === "json_object") return { type: "json_object" };
  const schema = rf.json_schema.schema ?? {};
  return {
    type: "json_schema",
    name: rf.json_schema.name ?? "response",
    schema: compiled(schema, "response_format.json_schema.schema"),
  };
}

/** Ollama `format` → the format to enforce; null when absent or empty. */
export function fromOllamaFormat(value: unknown): OutputFormat | null {
  if (value === undefined || value === null || value === "") return null;
  if (value === "json") return { type: "json_object" };
  const parsed = schemaObject.safeParse(value);
  if (!parsed.success || typeof value === "string") {
    throw new InvalidRequestError(
      `Invalid 'format': must be "json" or a JSON Schema object`,
      "format",
    );
  }
  return { type: "json_schema", name: "format", schema: compiled(parsed.data, "format") };
}
