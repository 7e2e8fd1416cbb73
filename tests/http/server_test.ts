/**
 * src/http/server.ts in-process: requests and their body deadline through the per-connection
 * server and through the plain `Deno.serve` fallback (for a Deno without the internal it uses),
 * and a listen failure surfacing as Deno's error. The timeouts and the fd limit are exercised
 * against the real server in tests/e2e/connections_test.ts.
 */
import assert from "node:assert/strict";
import { createLogger } from "../../src/log.ts";
import { type Handler, serveHttp } from "../../src/http/server.ts";
import { beforeBodyDeadline } from "../../src/http/body_deadline.ts";

const LIMITS = { headerTimeoutMs: 5000, idleTimeoutMs: 5000, bodyTimeoutMs: 300 };

/** Echoes the body's length, or answers the deadline's 408. */
const handler: Handler = async (request, deadline) => {
  try {
    const body = await beforeBodyDeadline(request.arrayBuffer(), deadline);
    return new Response(`got ${body.byteLength}`);
  } catch (err) {
    return new Response(String(err), { status: 408 });
  }
};

for (const mode of ["per-connection", "Deno.serve fallback"] as const) {
  Deno.test(`serveHttp (${mode}): answers, and a stalled body gets its 408`, async () => {
    const lines: string[] = [];
    const server = serveHttp({
      hostname: "127.0.0.1",
      port: 0,
      handler,
      limits: LIMITS,
      log: createLogger("warn", (line) => lines.push(line)),
      serveConnection: mode === "per-connection" ? undefined : null,
    });
    const url = `http://127.0.0.1:${server.addr.port}`;
    try {
      const ok = await fetch(url, { method: "POST", body: "12345" });
      assert.equal(await ok.text(), "got 5");
      // Raw TCP: the head and 3 of 10 body bytes, then nothing.
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
      await conn.write(new TextEncoder().encode(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
      ));
      const buf = new Uint8Array(64);
      const n = await conn.read(buf);
      conn.close();
      assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 408 /);
      const fallbackWarned = lines.some((l) => /no per-connection server/.test(l));
      assert.equal(fallbackWarned, mode !== "per-connection");
    } finally {
      await server.shutdown();
    }
  });
}

Deno.test("serveHttp: a port in use throws Deno's AddrInUse", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    assert.throws(
      () =>
        serveHttp({
          hostname: "127.0.0.1",
          port: (taken.addr as Deno.NetAddr).port,
          handler,
          limits: LIMITS,
          log: createLogger("silent"),
        }),
      Deno.errors.AddrInUse,
    );
  } finally {
    taken.close();
  }
});
