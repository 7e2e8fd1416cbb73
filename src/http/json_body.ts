/**
 * Reads a request body as JSON. Any content type is accepted (curl's `-d` sends form encoding);
 * an empty, non-UTF-8 or malformed body is a 400 with the parser's reason.
 */
import type { Context } from "hono";
import { ApiError, InvalidRequestError } from "../errors.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

export async function readJson(c: Context): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await c.req.arrayBuffer());
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
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestError(`The request body is not valid JSON: ${(err as Error).message}`);
  }
}
