import assert from "node:assert/strict";
import {
  ImageTooLargeError,
  InvalidImageError,
  RemoteImageError,
} from "../../src/vision/errors.ts";
import { loadImageBytes, type SourceOptions } from "../../src/vision/image_source.ts";
import { DEFAULT_VISION_SETTINGS } from "../../src/vision/settings.ts";
import { httpError } from "../../src/http/errors.ts";

const PNG_1x1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const OFF: SourceOptions = { settings: DEFAULT_VISION_SETTINGS, param: "messages[0].images[0]" };

Deno.test("loadImageBytes() decodes base64, data URLs and base64url", async (t) => {
  const png = Uint8Array.fromBase64(PNG_1x1);
  const rows: Array<[string, Parameters<typeof loadImageBytes>[0]]> = [
    ["Ollama base64", { kind: "base64", data: PNG_1x1 }],
    ["base64 with line breaks", { kind: "base64", data: PNG_1x1.replace(/(.{20})/g, "$1\n") }],
    ["data URL", { kind: "url", url: `data:image/png;base64,${PNG_1x1}` }],
    ["data URL, upper-case scheme", { kind: "url", url: `DATA:image/png;BASE64,${PNG_1x1}` }],
    ["data URL in Ollama's field", { kind: "base64", data: `data:image/png;base64,${PNG_1x1}` }],
    ["base64url", { kind: "base64", data: PNG_1x1.replaceAll("+", "-").replaceAll("/", "_") }],
  ];
  for (const [name, input] of rows) {
    await t.step(name, async () => assert.deepEqual(await loadImageBytes(input, OFF), png));
  }
  await t.step("a data URL without base64 is percent-decoded", async () => {
    const bytes = await loadImageBytes({ kind: "url", url: "data:text/plain,hi%20there" }, OFF);
    assert.equal(new TextDecoder().decode(bytes), "hi there");
  });
});

Deno.test("loadImageBytes() refuses malformed input with a typed 400", async (t) => {
  const rows: Array<[string, Parameters<typeof loadImageBytes>[0], unknown, RegExp]> = [
    ["not base64", { kind: "base64", data: "not base64!!" }, InvalidImageError, /not valid base64/],
    ["data URL without comma", { kind: "url", url: "data:x" }, InvalidImageError, /no payload/],
    [
      "ftp URL",
      { kind: "url", url: "ftp://example.com/a.png" },
      InvalidImageError,
      /data: URL .* or an http/,
    ],
    ["bare word", { kind: "url", url: "x" }, InvalidImageError, /data: URL/],
    [
      "remote URL (default off)",
      { kind: "url", url: "https://example.com/a.png" },
      RemoteImageError,
      /remote_images is off/,
    ],
  ];
  for (const [name, input, type, message] of rows) {
    await t.step(name, async () => {
      await assert.rejects(
        loadImageBytes(input, OFF),
        (err: Error & { param: string }) => {
          assert.ok(err instanceof (type as typeof Error), `${err}`);
          assert.equal(httpError(err).status, 400);
          assert.equal(err.param, "messages[0].images[0]");
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
  await t.step("base64 over max_image_bytes, refused before decoding", async () => {
    const opts = { ...OFF, settings: { ...DEFAULT_VISION_SETTINGS, maxImageBytes: 10 } };
    await assert.rejects(
      loadImageBytes({ kind: "base64", data: PNG_1x1 }, opts),
      ImageTooLargeError,
    );
  });
});

Deno.test("loadImageBytes() fetches http(s) images only when allowed, with size and time limits", async (t) => {
  const png = Uint8Array.fromBase64(PNG_1x1);
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/a.png") return new Response(png, { headers: { "content-type": "image/png" } });
      if (path === "/big") return new Response(new Uint8Array(5000));
      if (path === "/stream") {
        // No content-length: the limit must hold while reading.
        const body = new ReadableStream({
          pull(c) {
            c.enqueue(new Uint8Array(1000));
          },
        });
        return new Response(body);
      }
      if (path === "/slow") {
        await new Promise((r) => setTimeout(r, 400));
        return new Response(png);
      }
      return new Response("no", { status: 404 });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const allowed: SourceOptions = {
    settings: {
      ...DEFAULT_VISION_SETTINGS,
      remoteImages: true,
      maxImageBytes: 2000,
      remoteImageTimeoutMs: 150,
    },
    param: "messages[1].images[0]",
  };
  try {
    await t.step("a small image is fetched", async () => {
      assert.deepEqual(await loadImageBytes({ kind: "url", url: `${base}/a.png` }, allowed), png);
    });
    await t.step("declared size over the limit", async () => {
      await assert.rejects(
        loadImageBytes({ kind: "url", url: `${base}/big` }, allowed),
        ImageTooLargeError,
      );
    });
    await t.step("an endless body stops at the limit", async () => {
      await assert.rejects(
        loadImageBytes({ kind: "url", url: `${base}/stream` }, allowed),
        ImageTooLargeError,
      );
    });
    await t.step("HTTP 404", async () => {
      await assert.rejects(
        loadImageBytes({ kind: "url", url: `${base}/missing` }, allowed),
        /HTTP 404/,
      );
    });
    await t.step("too slow", async () => {
      await assert.rejects(
        loadImageBytes({ kind: "url", url: `${base}/slow` }, allowed),
        (err: Error) => err instanceof RemoteImageError && /within 150 ms/.test(err.message),
      );
    });
    await t.step("refused when off, without a request", async () => {
      let fetched = false;
      const spy: typeof fetch = () => {
        fetched = true;
        return Promise.resolve(new Response(png));
      };
      await assert.rejects(
        loadImageBytes({ kind: "url", url: `${base}/a.png` }, { ...OFF, fetch: spy }),
        RemoteImageError,
      );
      assert.equal(fetched, false);
    });
  } finally {
    ac.abort();
    await server.finished;
  }
});
