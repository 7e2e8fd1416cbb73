/**
 * Reads a request body as JSON. Any content type is accepted (curl's `-d` sends form encoding);
 * an empty, non-UTF-8, malformed or absurdly nested body is a 400 with the reason. A body that
 * arrives too slowly is a 408 (the deadline is set by server.ts, see body_deadline.ts).
 * Imports only src/errors.ts and body_deadline.ts.
 */
import type { Context } from "hono";
import { ApiError, InvalidRequestError } from "../errors.ts";
import { beforeBodyDeadline } from "./body_deadline.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Deepest nesting accepted. JSON.parse copes with more, but anything that later walks the value
 * recursively (a clone, a schema, a serialiser) would overflow the stack and answer 500.
 */
export const MAX_JSON_DEPTH = 16_384;

/**
 * The 400 for a text nested deeper than `max`, else null. One linear pass that skips strings;
 * `param` names the top-level field the deep value sits in, when the body is an object.
 */
export function nestingError(text: string, max = MAX_JSON_DEPTH): InvalidRequestError | null {
  if (text.length <= max) return null; // each level needs at least one byte
  let depth = 0;
  let topIsObject = false;
  let lastString = "";
  let field: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) { // a string: jump to its closing quote (a base64 image is megabytes long)
      const start = i;
      i = stringEnd(text, i);
      if (depth === 1) lastString = text.slice(start, i + 1);
    } else if (ch === 0x3a && depth === 1) { // ':' after a top-level key
      field = keyName(lastString);
    } else if (ch === 0x7b || ch === 0x5b) { // { [
      if (depth === 0) topIsObject = ch === 0x7b;
      if (++depth > max) {
        const where = topIsObject && field !== null ? field : null;
        return new InvalidRequestError(
          where === null
            ? `The request body is nested deeper than ${max} levels.`
            : `Invalid '${where}': nested deeper than ${max} levels.`,
          where,
        );
      }
    } else if (ch === 0x7d || ch === 0x5d) { // } ]
      depth--;
    }
  }
  return null;
}

/** The index of the quote closing the string opened at `open` (text.length when unclosed). */
function stringEnd(text: string, open: number): number {
  let at = open;
  while (true) {
    at = text.indexOf('"', at + 1);
    if (at === -1) return text.length;
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) return at;
  }
}

function keyName(literal: string): string | null {
  try {
    return JSON.parse(literal);
  } catch {
    return null;
  }
}

export async function readJson(c: Context): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await beforeBodyDeadline(c.req.arrayBuffer(), c.env));
  } catch (err) {
    // A body that ends before its Content-Length (or a cut chunked body) is the client's fault.
    if (err instanceof ApiError) throw err;
    throw new InvalidRequestError("The request body could not be read completely.");
  }
  if (bytes.length === 0) {
    throw new InvalidRequestError("The request body is empty; expected a JSON object.");
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new InvalidRequestError("The request body is not valid UTF-8.");
  }
  const tooDeep = nestingError(text);
  if (tooDeep) throw tooDeep;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}
