/**
 * An image as the client sent it (`ImageInput`) → its file bytes: base64 and `data:` URLs are
 * decoded here; http(s) URLs are fetched only when the `remote_images` setting allows it, with a
 * size and a time limit. Everything wrong is a typed 400 (src/vision/errors.ts).
 *
 * The one effect is the injected `fetch`; imports the message vocabulary and src/vision only.
 */
import type { ImageInput } from "../chat/messages.ts";
import { ImageTooLargeError, InvalidImageError, RemoteImageError } from "./errors.ts";
import type { VisionSettings } from "./settings.ts";

/** What reading an inline image needs. */
export interface InlineOptions {
  settings: Pick<VisionSettings, "maxImageBytes" | "remoteImages">;
  /** Names the image in error messages, e.g. `messages[0].images[1]`. */
  param?: string | null;
}

export interface SourceOptions extends InlineOptions {
  settings: Pick<VisionSettings, "maxImageBytes" | "remoteImages" | "remoteImageTimeoutMs">;
  /** The client's disconnect: a pending fetch stops with it. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export async function loadImageBytes(input: ImageInput, opts: SourceOptions): Promise<Uint8Array> {
  const inline = inlineImageBytes(input, opts);
  // Only an http(s) URL is not inline.
  return inline ?? await fetchImage((input as { url: string }).url, opts);
}

/**
 * The bytes of an inline image (base64 or a `data:` URL), size-checked; null for an http(s) URL
 * (fetched by `loadImageBytes`); any other URL is a 400. No effects: callable while planning.
 */
export function inlineImageBytes(input: ImageInput, opts: InlineOptions): Uint8Array | null {
  if (input.kind === "base64") {
    // Some clients send a data URL where Ollama expects bare base64.
    return input.data.startsWith("data:")
      ? fromDataUrl(input.data, opts)
      : fromBase64(input.data, opts);
  }
  const url = input.url.trim();
  if (/^data:/i.test(url)) return fromDataUrl(url, opts);
  if (/^https?:\/\//i.test(url)) return null;
  throw new InvalidImageError(
    "An image URL must be a data: URL (data:image/png;base64,…) or an http(s) URL.",
    opts.param ?? null,
  );
}

/** Refuses http(s) image URLs unless the `remote_images` setting allows them. */
export function checkRemoteAllowed(opts: InlineOptions): void {
  if (!opts.settings.remoteImages) {
    throw new RemoteImageError(
      "Image URLs are not fetched by this server (setting remote_images is off): send the " +
        "image inline as a data: URL with base64 data.",
      opts.param ?? null,
    );
  }
}

/** `data:[<media type>][;base64],<payload>`; the media type is not trusted (bytes are sniffed). */
function fromDataUrl(url: string, opts: InlineOptions): Uint8Array {
  const comma = url.indexOf(",");
  if (comma < 0) {
    throw new InvalidImageError(
      "The data: URL has no payload; expected data:image/<type>;base64,<data>.",
      opts.param ?? null,
    );
  }
  const header = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  if (/;base64$/i.test(header)) return fromBase64(payload, opts);
  let text: string;
  try {
    text = decodeURIComponent(payload);
  } catch {
    throw new InvalidImageError("The data: URL payload is not valid.", opts.param ?? null);
  }
  return checkSize(new TextEncoder().encode(text), opts);
}

function fromBase64(data: string, opts: InlineOptions): Uint8Array {
  // Every 4 characters carry 3 bytes: refuse an oversized payload before decoding it.
  if (Math.floor(data.length / 4) * 3 > opts.settings.maxImageBytes + 3) {
    checkSize({ length: Math.floor(data.length / 4) * 3 }, opts);
  }
  try {
    return checkSize(Uint8Array.fromBase64(data), opts);
  } catch (err) {
    if (err instanceof ImageTooLargeError) throw err;
    try {
      return checkSize(Uint8Array.fromBase64(data, { alphabet: "base64url" }), opts);
    } catch {
      throw new InvalidImageError("The image is not valid base64.", opts.param ?? null);
    }
  }
}

function checkSize<T extends { length: number }>(bytes: T, opts: InlineOptions): T {
  const max = opts.settings.maxImageBytes;
  if (bytes.length > max) {
    throw new ImageTooLargeError(
      `The image is over ${max} bytes (setting max_image_bytes).`,
      opts.param ?? null,
    );
  }
  return bytes;
}

async function fetchImage(rawUrl: string, opts: SourceOptions): Promise<Uint8Array> {
  const url = rawUrl.trim();
  const param = opts.param ?? null;
  const { remoteImageTimeoutMs, maxImageBytes } = opts.settings;
  checkRemoteAllowed(opts);
  const timeout = AbortSignal.timeout(remoteImageTimeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const shown = url.length > 100 ? `${url.slice(0, 100)}…` : url;
  try {
    const res = await (opts.fetch ?? fetch)(url, { signal, redirect: "follow" });
    if (!res.ok) {
      await res.body?.cancel();
      throw new RemoteImageError(`Fetching ${shown} failed: HTTP ${res.status}.`, param);
    }
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > maxImageBytes) {
      await res.body?.cancel();
      checkSize({ length: declared }, opts);
    }
    return await readCapped(res, opts);
  } catch (err) {
    if (err instanceof RemoteImageError || err instanceof ImageTooLargeError) throw err;
    const why = timeout.aborted
      ? `no answer within ${remoteImageTimeoutMs} ms (setting remote_image_timeout_ms)`
      : err instanceof Error
      ? err.message
      : String(err);
    throw new RemoteImageError(`Fetching ${shown} failed: ${why}.`, param);
  }
}

/** The body, stopping (and cancelling the download) as soon as it passes the size limit. */
async function readCapped(res: Response, opts: SourceOptions): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > opts.settings.maxImageBytes) {
      await reader.cancel();
      checkSize({ length: total }, opts);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
