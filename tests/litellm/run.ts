/**
 * `deno task test:litellm`: the README's "Several boards behind LiteLLM" config, for real. Two
 * demo servers (two "boards") behind the LiteLLM proxy from PyPI (build/venv-litellm). Checks
 * that requests are spread over both boards, and that a board answering 503 (NPU busy, no queue)
 * costs the client nothing: LiteLLM retries on the other board. Each board's /metrics is the
 * witness of where requests went. One PASS/FAIL line per check; exit code 1 when any failed.
 */
import { join } from "node:path";
import {
  BUILD,
  Checks,
  completionText,
  ensureVenv,
  expect,
  freePort,
  metric,
  postJson,
  Service,
  snippet,
  startDemo,
  waitHttp,
} from "../openwebui/harness.ts";

const LITELLM = "litellm[proxy]==1.108.7";
const MODEL = "qwen3-1.7b";
/** Short answers for routed requests; the request that keeps a board busy runs the full length. */
const ROUTED_MAX_TOKENS = 24;
const ROUTED_REQUESTS = 16;
const MAX_BUSY_ATTEMPTS = 20;

const startedAt = performance.now();
const checks = new Checks();
const services: Service[] = [];
let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.log(`FAIL setup: ${error instanceof Error ? error.message : error}`);
} finally {
  for (const service of services.reverse()) await service.stop();
}
Deno.exit(exitCode);

/**
 * The README's config with the two boards' addresses, as it must read to hold its promise. With
 * the earlier `least-busy` alone, LiteLLM 1.108.7 sent sequential and concurrent requests alike
 * to the first board, and passed a board's 503 to the client ("No fallback was attempted").
 * Shuffle spreads them; `allowed_fails: 0` cools a refusing board down at once, so the retries
 * (`num_retries`) go to the other one.
 */
function readmeConfig(board1: string, board2: string): string {
  return `model_list:
  - model_name: ${MODEL}
    litellm_params: { model: openai/${MODEL}, api_base: "${board1}/v1", api_key: none }
  - model_name: ${MODEL}
    litellm_params: { model: openai/${MODEL}, api_base: "${board2}/v1", api_key: none }
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  allowed_fails: 0
  cooldown_time: 10
`;
}

function chatCount(board: string, status: number): Promise<number> {
  return metric(board, "rkllm_http_requests_total", [
    'route="/v1/chat/completions"',
    `status="${status}"`,
  ]);
}

async function main(): Promise<number> {
  const venv = await ensureVenv("venv-litellm", [LITELLM]);

  // No waiting room on either board: a busy NPU answers 503 at once. Long default answers
  // (400 words at 40 ms) let one request keep a board busy for ~16 s.
  const boardArgs = ["--queue-depth", "0"];
  const boardEnv = { RKLLM_MOCK_TOKENS: "400", RKLLM_MOCK_TOKEN_MS: "40" };
  const boards: string[] = [];
  for (const name of ["litellm-board1", "litellm-board2"]) {
    const port = freePort();
    services.push(await startDemo(name, port, boardArgs, boardEnv));
    boards.push(`http://127.0.0.1:${port}`);
  }
  const [board1, board2] = boards;
  // Load the model on both now so the first routed requests do not pay for it.
  for (const board of boards) {
    const { status, json } = await postJson(`${board}/v1/models/select`, { model: MODEL });
    expect(status === 200, `warm-up of ${board}: ${status} ${snippet(json)}`);
  }

  const configPath = join(BUILD, "litellm-config.yaml");
  await Deno.writeTextFile(configPath, readmeConfig(board1, board2));
  const masterKey = `sk-${
    Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0"))
      .join("")
  }`;
  const keyHeader = { Authorization: `Bearer ${masterKey}` };
  const proxyPort = freePort();
  const proxy = `http://127.0.0.1:${proxyPort}`;
  const litellm = new Service(
    "litellm",
    join(BUILD, "litellm.log"),
    join(venv, "bin", "litellm"),
    ["--config", configPath, "--host", "127.0.0.1", "--port", String(proxyPort)],
    // The proxy refuses to start without a master key (and with a weak one).
    {
      LITELLM_MASTER_KEY: masterKey,
      // The bundled price list instead of a download at start.
      LITELLM_LOCAL_MODEL_COST_MAP: "True",
      LITELLM_TELEMETRY: "False",
      NO_DOCS: "True",
    },
  );
  services.push(litellm);
  const bootStarted = performance.now();
  await waitHttp(`${proxy}/health/liveliness`, litellm, 300_000);
  console.log(`litellm up in ${((performance.now() - bootStarted) / 1000).toFixed(0)}s`);

  const ask = () =>
    postJson(`${proxy}/v1/chat/completions`, {
      model: MODEL,
      max_tokens: ROUTED_MAX_TOKENS,
      messages: [{ role: "user", content: "Hello!" }],
    }, keyHeader);

  await checks.run("model listed by the proxy", async () => {
    const json = await (await fetch(`${proxy}/v1/models`, { headers: keyHeader })).json();
    const ids = (json.data as { id: string }[]).map((m) => m.id);
    expect(ids.includes(MODEL), `models: ${ids.join(", ")}`);
  });

  await checks.run(`${ROUTED_REQUESTS} requests are spread over both boards`, async () => {
    const before = await Promise.all(boards.map((b) => chatCount(b, 200)));
    for (let i = 1; i <= ROUTED_REQUESTS; i++) {
      const { status, json } = await ask();
      expect(status === 200, `request ${i}: ${status} ${snippet(json)}`);
      expect(completionText(json).length > 0, `request ${i}: empty answer`);
    }
    const after = await Promise.all(boards.map((b) => chatCount(b, 200)));
    const served = after.map((n, i) => n - before[i]);
    expect(served[0] + served[1] === ROUTED_REQUESTS, `boards served ${served.join(" + ")}`);
    expect(served.every((n) => n > 0), `one board got nothing: ${served.join(" + ")}`);
    return `board1 served ${served[0]}, board2 ${served[1]}`;
  });

  await checks.run("a 503 from a busy board is retried on the other", async () => {
    // Keep board1 busy with a long request sent to it directly, past the proxy.
    const hold = new AbortController();
    const holding = fetch(`${board1}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: "Tell a long story." }],
      }),
      signal: hold.signal,
    }).then((res) => res.body?.pipeTo(new WritableStream(), { signal: hold.signal }))
      .catch(() => {});
    try {
      for (let i = 0; i < 50; i++) {
        const health = await (await fetch(`${board1}/health`)).json();
        if (health.busy) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const refusedBefore = await chatCount(board1, 503);
      const servedBefore = await chatCount(board2, 200);
      let sent = 0;
      let slowestMs = 0;
      // LiteLLM picks a board per request; send until one went to the busy board (or give up).
      while (sent < MAX_BUSY_ATTEMPTS && await chatCount(board1, 503) === refusedBefore) {
        const askedAt = performance.now();
        const { status, json } = await ask();
        slowestMs = Math.max(slowestMs, performance.now() - askedAt);
        sent++;
        expect(status === 200, `request ${sent} reached the client as ${status} ${snippet(json)}`);
        completionText(json);
      }
      const refused = await chatCount(board1, 503) - refusedBefore;
      const served = await chatCount(board2, 200) - servedBefore;
      expect(refused > 0, `no request went to the busy board in ${sent} tries`);
      expect(served === sent, `board2 served ${served} of ${sent}`);
      const stillBusy = (await (await fetch(`${board1}/health`)).json()).busy;
      expect(stillBusy, "board1 was no longer busy: the check proved nothing");
      return `${sent} request(s) all 200 (slowest ${(slowestMs / 1000).toFixed(1)}s); ` +
        `board1 refused ${refused} with 503, board2 served ${served}`;
    } finally {
      hold.abort();
      await holding;
    }
  });

  return checks.summary("test:litellm", startedAt);
}
