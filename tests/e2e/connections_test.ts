/**
 * Slow, idle and flooding clients against the real server (src/http/server.ts): connections that
 * never send a request, keep-alive connections left idle, request heads trickled a byte at a
 * time, bodies at a byte per second and chunked bodies that never end are all closed by the
 * header / idle / body timeouts, while a slow answer in progress is not; and a process out of
 * file descriptors keeps running, says so in its log, and serves again once connections close.
 */
import assert from "node:assert/strict";
import { RUN_MAIN } from "../support/mock.ts";
import { startServer, type TestServer, withServer } from "../support/server.ts";

const LIMITS = ["--header-timeout", "1", "--connection-idle-timeout", "1.5", "--body-timeout", "1"];
/** Generous: the reaper runs every quarter of the shortest limit; CI machines are slow. */
const CUT_WITHIN_MS = 8000;

const encoder = new TextEncoder();
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(server: TestServer): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(server.url);
  return Deno.connect({ hostname, port: Number(port) });
}

/** Everything the server sends until it closes the connection ("" if it never answered). */
async function readUntilClosed(conn: Deno.Conn, withinMs: number): Promise<string> {
  const chunks: string[] = [];
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), withinMs);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) return chunks.join("");
      chunks.push(new TextDecoder().decode(buf.subarray(0, n)));
    }
  } catch (err) {
    if (err instanceof Deno.errors.BadResource) throw new Error(`still open after ${withinMs} ms`);
    return chunks.join(""); // reset by the server
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

/** Writes `bytes` one at a time, `everyMs` apart, until the server closes the connection. */
async function trickle(conn: Deno.Conn, bytes: Uint8Array, everyMs: number): Promise<number> {
  const started = Date.now();
  for (const b of bytes) {
    try {
      await conn.write(Uint8Array.of(b));
    } catch {
      return Date.now() - started;
    }
    await delay(everyMs);
  }
  throw new Error(`all ${bytes.length} bytes were accepted over ${Date.now() - started} ms`);
}

async function healthMs(server: TestServer): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${server.url}/health`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return performance.now() - started;
}

Deno.test("connections: 500 connections that send nothing are closed; /health answers meanwhile", async () => {
  await withServer({ args: LIMITS }, async (server) => {
    const conns = await Promise.all(Array.from({ length: 500 }, () => connect(server)));
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) latencies.push(await healthMs(server));
    latencies.sort((a, b) => a - b);
    console.log(
      `/health with 500 idle connections: p50 ${latencies[10].toFixed(1)} ms, max ${
        latencies[19].toFixed(1)
      } ms`,
    );
    const closed = await Promise.all(conns.map((c) => readUntilClosed(c, CUT_WITHIN_MS)));
    assert.ok(closed.every((text) => text === ""), "closed without an answer");
    assert.ok(server.logs.some((l) => /closed idle connections.*no_request=/.test(l)));
  });
});

Deno.test("connections: an idle keep-alive connection is closed after its last response", async () => {
  await withServer({ args: LIMITS }, async (server) => {
    const conn = await connect(server);
    await conn.write(encoder.encode("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    const started = Date.now();
    const text = await readUntilClosed(conn, CUT_WITHIN_MS);
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(Date.now() - started >= 1000, "kept open for the idle timeout first");
    assert.ok(server.logs.some((l) => /closed idle connections.*idle_keepalive=1/.test(l)));
  });
});

Deno.test("connections: a request head trickled in a byte at a time is cut", async () => {
  await withServer({ args: LIMITS }, async (server) => {
    const conn = await connect(server);
    const head = encoder.encode(`GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(200)}`);
    const ms = await trickle(conn, head, 100);
    assert.ok(ms < CUT_WITHIN_MS + 1000, `cut after ${ms} ms`);
    conn.close();
  });
});

Deno.test("connections: a body stalled mid-way gets a 408 JSON error and the connection closes", async () => {
  await withServer({ args: LIMITS }, async (server) => {
    const conn = await connect(server);
    await conn.write(encoder.encode(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        'Content-Length: 100\r\n\r\n{"model":"phi",',
    ));
    const text = await readUntilClosed(conn, CUT_WITHIN_MS);
    assert.match(text, /^HTTP\/1\.1 408 /);
    const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
    assert.equal(body.error.code, "request_timeout");
    assert.equal(body.error.type, "invalid_request_error");
    assert.deepEqual(server.logs.filter((l) => / ERROR /.test(l)), []);
  });
});

Deno.test("connections: a body at one byte per 200 ms and a chunked body that never ends are cut", async () => {
  await withServer({ args: LIMITS }, async (server) => {
    const slow = await connect(server);
    await slow.write(encoder.encode(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
    ));
    const chunked = await connect(server);
    await chunked.write(encoder.encode(
      "POST /api/chat HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ));
    const [slowMs, chunkedMs] = await Promise.all([
      trickle(slow, new Uint8Array(1000).fill(0x20), 200),
      trickle(chunked, encoder.encode("1\r\n \r\n".repeat(1000)), 30),
    ]);
    assert.ok(slowMs < CUT_WITHIN_MS, `slow body cut after ${slowMs} ms`);
    assert.ok(chunkedMs < CUT_WITHIN_MS, `chunked body cut after ${chunkedMs} ms`);
    slow.close();
    chunked.close();
    assert.ok(server.logs.filter((l) => /status=408/.test(l)).length >= 2, server.logs.join("\n"));
  });
});

Deno.test("connections: an answer that takes longer than every timeout is not cut", async () => {
  await withServer({
    args: LIMITS,
    env: { RKLLM_MOCK_TOKENS: "8", RKLLM_MOCK_TOKEN_MS: "400" }, // 7 gaps: 2.8 s
  }, async (server) => {
    const started = Date.now();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "phi", messages: [{ role: "user", content: "hi" }] }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.ok(Date.now() - started > 2000, "the answer took longer than the timeouts");
    assert.equal(body.choices[0].finish_reason, "stop");
  });
});

Deno.test({
  name: "connections: out of file descriptors the server sheds, logs, and recovers",
  async fn() {
    // 64 descriptors: the runtime, the log pipes and the listener take about 25.
    const server = await startServer({
      command: ["sh", "-c", 'ulimit -n 64 && exec "$0" "$@"', Deno.execPath(), ...RUN_MAIN],
      args: ["--header-timeout", "0", "--connection-idle-timeout", "0"],
    });
    try {
      const conns: Deno.TcpConn[] = [];
      for (let i = 0; i < 150; i++) conns.push(await connect(server));
      await delay(1000);
      assert.ok(
        server.logs.some((l) => /WARN .*out of file descriptors/.test(l)),
        server.logs.join("\n"),
      );
      for (const c of conns) c.close();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        try {
          const res = await fetch(`${server.url}/health`);
          status = res.status;
          await res.body?.cancel();
        } catch {
          await delay(100);
        }
      }
      assert.equal(status, 200, "serving again after the connections closed");
      assert.ok(server.logs.some((l) => /accepting connections again refused=\d+/.test(l)));
    } finally {
      assert.equal(await server.stop(), 0, server.logs.slice(-10).join("\n"));
    }
  },
});
