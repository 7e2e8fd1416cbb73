/**
 * Optional API key: `Authorization: Bearer <key>` (or Anthropic's `x-api-key: <key>`) on every route except the ones listed as
 * open (health checks). The comparison is constant-time (SHA-256 digests compared byte by byte
 * without an early exit), so response timing does not reveal how much of a guess was right.
 * The key is never logged.
 */
import type { MiddlewareHandler } from "hono";
import { AuthenticationError } from "../errors.ts";

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export async function sameSecret(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < da.length; i++) diff |= da[i] ^ db[i];
  return diff === 0;
}

export function bearerAuth(key: string, openPaths: ReadonlySet<string>): MiddlewareHandler {
  return async (c, next) => {
    if (!key || openPaths.has(c.req.path) || c.req.method === "OPTIONS") return await next();
    const header = c.req.header("authorization") ?? "";
    // Anthropic's clients send the key as `x-api-key`.
    const apiKey = c.req.header("x-api-key")?.trim();
    const match = apiKey ? [header, apiKey] : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match || !(await sameSecret(match[1].trim(), key))) {
      throw new AuthenticationError(
        match ? "Invalid API key." : "Missing API key: send 'Authorization: Bearer <key>'.",
      );
    }
    await next();
  };
}
