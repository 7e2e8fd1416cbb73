/**
 * Checks a model's answer against the requested output format and says why it fails. The JSON is
 * taken from the answer as small models write it: alone, inside one Markdown code fence, or
 * between a sentence before and after it (then only the JSON is returned). A JSON object is
 * required for `json_object` (zod); a schema is applied with a JSON Schema validator. Pure;
 * imports zod and the validator.
 */
import { Validator } from "@cfworker/json-schema";
import { z } from "zod";
import { type OutputFormat, SCHEMA_DRAFT } from "./structured_format.ts";

export type CheckResult =
  | { ok: true; json: string }
  | { ok: false; problem: string };

const FENCE = /^```[A-Za-z0-9_-]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/;
const jsonObject = z.record(z.string(), z.unknown());
/** Schema problems named in an error message (a model's answer can break dozens). */
const MAX_PROBLEMS = 3;

function parse(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

/** The JSON text in an answer and its value; null when there is none. */
export function extractJson(answer: string): { json: string; value: unknown } | null {
  let text = answer.trim();
  const fenced = FENCE.exec(text);
  if (fenced) text = fenced[1].trim();
  const whole = parse(text);
  if (whole) return { json: text, value: whole.value };
  // Prose around one object or array: the outermost brackets.
  for (const [open, close] of [["{", "}"], ["[", "]"]]) {
    const start = text.indexOf(open);
    const end = text.lastIndexOf(close);
    if (start < 0 || end <= start) continue;
    const inner = text.slice(start, end + 1);
    const found = parse(inner);
    if (found) return { json: inner, value: found.value };
  }
  return null;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function schemaProblems(schema: Record<string, unknown>, value: unknown): string[] {
  const result = new Validator(schema, SCHEMA_DRAFT, false).validate(value);
  if (result.valid) return [];
  // The deepest errors say what is wrong; their parents only say "does not match".
  const leaves = result.errors.filter((e) =>
    !result.errors.some((o) => o !== e && o.keywordLocation.startsWith(`${e.keywordLocation}/`))
  );
  return leaves.map((e) => `${e.instanceLocation}: ${e.error}`);
}

/** Whether `answer` meets `format`; the JSON to send when it does. */
export function checkOutput(format: OutputFormat, answer: string): CheckResult {
  const found = extractJson(answer);
  if (!found) {
    return { ok: false, problem: answer.trim() ? "the answer is not JSON" : "the answer is empty" };
  }
  if (format.type === "json_object") {
    return jsonObject.safeParse(found.value).success
      ? { ok: true, json: found.json }
      : { ok: false, problem: `the answer is ${describeType(found.value)}, not a JSON object` };
  }
  const problems = schemaProblems(format.schema, found.value);
  if (problems.length === 0) return { ok: true, json: found.json };
  const more = problems.length > MAX_PROBLEMS
    ? ` (and ${problems.length - MAX_PROBLEMS} more)`
    : "";
  return {
    ok: false,
    problem: `the answer does not match the schema: ${
      problems.slice(0, MAX_PROBLEMS).join("; ")
    }${more}`,
  };
}
