/**
 * Starts the real server (`main.ts serve`) as a child process on a free loopback port with the
 * mock runtime, collects its log lines, and stops it with SIGTERM (asserting a clean exit).
 */
import { join } from "node:path";
import { makeModelsDir, mockLibrary, RUN_MAIN } from "./mock.ts";
import { type AbiVersion } from "../../src/rkllm/versions.ts";

export const DEFAULT_MODELS: Record<string, string> = {
  "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm",
  "Phi-3-Mini-4K-Instruct": "Phi-3-Mini-4K-Instruct-w8a8-rk3588.rkllm",
};

export interface TestServer {
  url: string;
  pid: number;
  modelsDir: string;
  mockLog: string;
  logs: string[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

export async function startServer(opts: {
  env?: Record<string, string>;
  models?: Record<string, string>;
  args?: string[];
  abi?: AbiVersion;
  /** The program to run instead of `deno run main.ts` (e.g. the bundle under qemu). */
  command?: string[];
  /** Runtime library instead of the host mock. */
  lib?: string;
  /** More files in the models folder before the scan (path relative to it → content). */
  files?: Record<string, string>;
  /**
   * Log warnings only (for benchmarks: the parent would otherwise parse log lines while it
   * measures). The port is chosen here and readiness is polled on /health.
   */
  quiet?: boolean;
  startupTimeoutMs?: number;
  /**
   * Measure the runtime's cache behaviour at the first load, as the server does by default.
   * Off unless asked: its probe runs would show up in every test's mock log.
   */
  kvCalibration?: boolean;
} = {}): Promise<TestServer> {
  const modelsDir = await makeModelsDir(opts.models ?? DEFAULT_MODELS);
  for (const [path, content] of Object.entries(opts.files ?? {})) {
    await Deno.writeTextFile(join(modelsDir, path), content);
  }
  const mockLog = join(modelsDir, "mock-calls.log");
  const port = opts.quiet ? freePort() : 0;
  const [program, ...programArgs] = opts.command ?? [Deno.execPath(), ...RUN_MAIN];
  const child = new Deno.Command(program, {
    args: [
      ...programArgs,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--lib",
      opts.lib ?? mockLibrary(opts.abi),
      "--models",
      modelsDir,
      "--prompt-cache-dir",
      join(modelsDir, ".kv"),
      "--kv-calibration",
      String(opts.kvCalibration ?? false),
      ...(opts.quiet ? ["--log-level", "warn"] : []),
      ...(opts.args ?? []),
    ],
    env: { RKLLM_MOCK_LOG: mockLog, NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let url: string | undefined;
  const pump = (async () => {
    while (true) {
      const { value, done } = await lines.read();
      if (done) return;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        const m = line.match(/listening url=(http:\/\/[^\s]+)/);
        if (m) url = m[1];
      }
    }
  })();
  const deadline = Date.now() + (opts.startupTimeoutMs ?? 15_000);
  while (!url && opts.quiet && Date.now() < deadline) {
    const candidate = `http://127.0.0.1:${port}`;
    try {
      const res = await fetch(`${candidate}/health`);
      await res.body?.cancel();
      if (res.ok) url = candidate;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  while (!url) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      await child.status;
      await pump;
      throw new Error(`server did not start:\n${logs.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    pid: child.pid,
    modelsDir,
    mockLog,
    logs,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      const status = await child.status;
      await pump;
      await Deno.remove(modelsDir, { recursive: true });
      return status.code;
    },
  };
}

/** Runs `fn` against a fresh server and asserts it then shuts down cleanly (exit 0). */
export async function withServer(
  opts: Parameters<typeof startServer>[0],
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(opts);
  let failure: unknown = null;
  try {
    await fn(server);
  } catch (err) {
    failure = err;
  }
  const code = await server.stop();
  if (failure) throw failure;
  if (code !== 0) throw new Error(`server exited with ${code}\n${server.logs.join("\n")}`);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Reads an SSE body into its `data:` payloads (and counts comment lines). */
export async function readSse(
  res: Response,
): Promise<{ data: string[]; comments: number; raw: string }> {
  const raw = await res.text();
  const data: string[] = [];
  let comments = 0;
  for (const block of raw.split("\n\n")) {
    if (!block) continue;
    for (const line of block.split("\n")) {
      if (line.startsWith("data: ")) data.push(line.slice(6));
      else if (line.startsWith(":")) comments++;
    }
  }
  return { data, comments, raw };
}
