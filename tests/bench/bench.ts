/**
 * `deno task bench`: the server against a raw-FFI baseline, both driving the mock runtime.
 * Prints a table; asserts nothing (speed goals live here, never in timed tests).
 *
 * - per-token overhead: a zero-delay mock generating 5,000 tokens, µs/token through the server's
 *   SSE stream vs a bare thread-safe callback that only copies each token's bytes;
 * - TTFT overhead: time to the first content delta (raw HTTP over a keep-alive connection) minus
 *   the mock's prefill delay, p50/p99, next to the raw FFI path measured the same way;
 * - requests/s for 1-token answers, sequential and with 4 clients;
 * - server RSS idle and after the request loops; startup to first answered request.
 */
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { silentLogger } from "../../src/log.ts";
import { mockEngine } from "../support/engine.ts";
import { makeModelsDir, mockLibrary } from "../support/mock.ts";
import { startServer, type TestServer } from "../support/server.ts";

const TOKENS = 5000;
const TTFT_REQUESTS = Number(Deno.env.get("BENCH_TTFT_REQUESTS") ?? 200);
const RPS_REQUESTS = Number(Deno.env.get("BENCH_RPS_REQUESTS") ?? 1000);
const PREFILL_MS = 20;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * The baseline: dlopen the mock, one thread-safe callback that copies the token text. Returns
 * µs/token for a 5,000-token run and the time-to-first-token samples (ms) with the mock's
 * prefill delay, measured exactly as for the server, minus HTTP and everything else.
 */
async function rawBaseline(): Promise<{ perToken: number; ttft: number[] }> {
  const dir = await makeModelsDir({ m: "m.rkllm" });
  Deno.env.set("RKLLM_MOCK_TOKENS", String(TOKENS));
  const lib = Deno.dlopen(mockLibrary(), {
    rkllm_init: { parameters: ["buffer", "buffer", "pointer"], result: "i32", nonblocking: true },
    rkllm_run: {
      parameters: ["pointer", "buffer", "buffer", "pointer"],
      result: "i32",
      nonblocking: true,
    },
    rkllm_destroy: { parameters: ["pointer"], result: "i32" },
  });
  let count = 0;
  let firstToken: number | null = null;
  const cb = Deno.UnsafeCallback.threadSafe(
    { parameters: ["pointer", "pointer", "i32"], result: "i32" } as const,
    (result, _ud, state) => {
      if (state !== 0 || result === null) return 0;
      firstToken ??= performance.now();
      const text = new Deno.UnsafePointerView(result).getPointer(0);
      if (text) Deno.UnsafePointerView.getCString(text);
      count++;
      return 0;
    },
  );
  const enc = new TextEncoder();
  const path = enc.encode(join(dir, "m", "m.rkllm") + "\0");
  const param = new Uint8Array(208);
  const pv = new DataView(param.buffer);
  pv.setBigUint64(0, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(path))), true);
  pv.setInt32(8, 1 << 20, true); // max_context_len
  pv.setInt32(12, TOKENS, true); // max_new_tokens
  const handleOut = new Uint8Array(8);
  await lib.symbols.rkllm_init(handleOut, param, cb.pointer);
  const handle = Deno.UnsafePointer.create(new DataView(handleOut.buffer).getBigUint64(0, true));
  const role = enc.encode("user\0");
  const prompt = enc.encode("benchmark prompt\0");
  const input = new Uint8Array(64);
  const iv = new DataView(input.buffer);
  iv.setBigUint64(0, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(role))), true);
  iv.setBigUint64(16, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(prompt))), true);
  const infer = new Uint8Array(32);
  const best: number[] = [];
  for (let i = 0; i < 10; i++) {
    count = 0;
    const t0 = performance.now();
    await lib.symbols.rkllm_run(handle, input, infer, null);
    best.push(((performance.now() - t0) * 1000) / count);
  }
  Deno.env.set("RKLLM_MOCK_TOKENS", "2");
  Deno.env.set("RKLLM_MOCK_PREFILL_MS", String(PREFILL_MS));
  const ttft: number[] = [];
  for (let i = 0; i < TTFT_REQUESTS; i++) {
    const t0 = performance.now();
    firstToken = null;
    await lib.symbols.rkllm_run(handle, input, infer, null);
    ttft.push((firstToken ?? performance.now()) - t0 - PREFILL_MS);
  }
  Deno.env.delete("RKLLM_MOCK_PREFILL_MS");
  lib.symbols.rkllm_destroy(handle);
  cb.close();
  lib.close();
  Deno.env.delete("RKLLM_MOCK_TOKENS");
  await Deno.remove(dir, { recursive: true });
  return { perToken: Math.min(...best), ttft };
}

/** One request, body read to the end; returns the milliseconds it took. */
async function chatOnce(server: TestServer, body: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model: "bench",
      messages: [{ role: "user", content: "bench" }],
      ...body,
    }),
  });
  await res.arrayBuffer();
  return performance.now() - t0;
}

/**
 * Time to the first content chunk over one keep-alive TCP connection, written and read as raw
 * HTTP/1.1, so the figure is the server's and not the overhead of a JavaScript fetch client.
 */
async function ttftSamples(server: TestServer, count: number): Promise<number[]> {
  const { hostname, port } = new URL(server.url);
  const body = JSON.stringify({
    model: "bench",
    stream: true,
    messages: [{ role: "user", content: "bench" }],
  });
  const request = new TextEncoder().encode(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
  const decoder = new TextDecoder();
  const buf = new Uint8Array(1 << 16);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const samples: number[] = [];
  try {
    for (let i = 0; i < count + 20; i++) {
      const t0 = performance.now();
      await conn.write(request);
      let text = "";
      let first = -1;
      while (!text.includes("data: [DONE]")) {
        const n = await conn.read(buf);
        if (n === null) throw new Error("connection closed");
        text += decoder.decode(buf.subarray(0, n));
        if (first < 0 && /"content":"[^"]/.test(text)) first = performance.now() - t0;
      }
      if (i >= 20) samples.push(first);
    }
  } finally {
    conn.close();
  }
  return samples;
}

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  return kb / 1024;
}

/**
 * The server's own per-token cost: the real app, engine and runtime binding in this process
 * (app.request, SSE bytes produced and read), without a socket or a second process whose reads
 * compete for the same two cores.
 */
async function inProcessPerToken(): Promise<number> {
  Deno.env.set("RKLLM_MOCK_TOKENS", String(TOKENS));
  const { engine, dispose } = await mockEngine({ Bench: "bench-1024k.rkllm" }, {
    maxNewTokens: TOKENS,
  });
  const app = createApp({
    service: engine,
    log: silentLogger,
    keepAliveSeconds: 0,
    maxBodyBytes: 1 << 20,
    runtime: "bench",
  });
  const body = JSON.stringify({
    model: "bench",
    stream: true,
    messages: [{ role: "user", content: "bench" }],
  });
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await (await app.request("/v1/chat/completions", { method: "POST", body })).arrayBuffer();
    samples.push(((performance.now() - t0) * 1000) / TOKENS);
  }
  await dispose();
  Deno.env.delete("RKLLM_MOCK_TOKENS");
  return Math.min(...samples);
}

async function main(): Promise<void> {
  const rows: [string, string][] = [];
  const baseline = await rawBaseline();
  const raw = baseline.perToken;
  rows.push(["raw FFI callback path", `${raw.toFixed(2)} µs/token`]);
  const own = await inProcessPerToken();
  rows.push([
    "server path in-process (app, engine, binding)",
    `${own.toFixed(2)} µs/token, overhead over raw ${(own - raw).toFixed(2)} µs/token`,
  ]);

  const startT0 = performance.now();
  const server = await startServer({
    quiet: true,
    env: { RKLLM_MOCK_TOKENS: String(TOKENS) },
    args: ["--queue-depth", "16", "--max-new-tokens", String(TOKENS)],
    models: { Bench: "bench-1024k.rkllm" },
  });
  await chatOnce(server, { max_tokens: 1 });
  rows.push([
    "startup to first answered request",
    `${(performance.now() - startT0).toFixed(0)} ms (incl. model load)`,
  ]);
  const rssIdle = await rssMb(server.pid);

  const perToken: number[] = [];
  for (let i = 0; i < 10; i++) {
    perToken.push((await chatOnce(server, { stream: true })) * 1000 / TOKENS);
  }
  const served = Math.min(...perToken);
  rows.push([
    "end to end over TCP (client on the same 2 cores)",
    `${served.toFixed(2)} µs/token (${(1e6 / served).toFixed(0)} tokens/s)`,
  ]);
  await server.stop();

  const ttftServer = await startServer({
    quiet: true,
    env: { RKLLM_MOCK_PREFILL_MS: String(PREFILL_MS), RKLLM_MOCK_TOKENS: "2" },
    args: [],
    models: { Bench: "bench.rkllm" },
  });
  const ttft = (await ttftSamples(ttftServer, TTFT_REQUESTS)).map((ms) => ms - PREFILL_MS);
  rows.push([
    `TTFT overhead (${TTFT_REQUESTS} req, prefill ${PREFILL_MS} ms subtracted)`,
    `p50 ${percentile(ttft, 50).toFixed(2)} ms, p99 ${percentile(ttft, 99).toFixed(2)} ms`,
  ]);
  rows.push([
    "  of which the raw FFI path (mock's timing)",
    `p50 ${percentile(baseline.ttft, 50).toFixed(2)} ms, p99 ${
      percentile(baseline.ttft, 99).toFixed(2)
    } ms`,
  ]);
  rows.push([
    "  server over the raw path",
    `p50 ${(percentile(ttft, 50) - percentile(baseline.ttft, 50)).toFixed(2)} ms`,
  ]);
  await ttftServer.stop();

  const rpsServer = await startServer({
    quiet: true,
    env: { RKLLM_MOCK_TOKENS: "1" },
    args: ["--queue-depth", "16"],
    models: { Bench: "bench.rkllm" },
  });
  await chatOnce(rpsServer, {});
  const rssStart = await rssMb(rpsServer.pid);
  for (let i = 0; i < 200; i++) await chatOnce(rpsServer, { stream: i % 2 === 0 });
  const rssBefore = await rssMb(rpsServer.pid);
  let t0 = performance.now();
  for (let i = 0; i < RPS_REQUESTS; i++) await chatOnce(rpsServer, {});
  const seqRps = RPS_REQUESTS / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = 0; i < RPS_REQUESTS / 4; i++) await chatOnce(rpsServer, {});
    }),
  );
  const parRps = RPS_REQUESTS / ((performance.now() - t0) / 1000);
  rows.push(["1-token answers, sequential", `${seqRps.toFixed(0)} req/s`]);
  rows.push(["1-token answers, 4 clients", `${parRps.toFixed(0)} req/s`]);
  const rssAfter = await rssMb(rpsServer.pid);
  rows.push(["RSS idle (model loaded, first request)", `${rssIdle.toFixed(1)} MB`]);
  rows.push([
    "RSS after a 200-request warm-up",
    `${rssBefore.toFixed(1)} MB (from ${rssStart.toFixed(1)})`,
  ]);
  rows.push([
    `RSS after ${2 * RPS_REQUESTS} more requests`,
    `${rssAfter.toFixed(1)} MB (growth ${(rssAfter - rssBefore).toFixed(1)} MB)`,
  ]);
  await rpsServer.stop();

  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nrkllm-api bench (${Deno.build.os}/${Deno.build.arch}, Deno ${Deno.version.deno})`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

await main();
