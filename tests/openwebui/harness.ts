/**
 * Shared plumbing for the opt-in real-client tasks (`test:openwebui`, `test:litellm`): Python
 * venvs installed with a pinned `uv` under the git-ignored build/, demo servers and client
 * processes on loopback ports, and PASS/FAIL reporting. Not a `*_test.ts` file on purpose: these
 * runs download packages and take minutes, so `deno task test` must not pick them up.
 */
import { join } from "node:path";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const BUILD = join(ROOT, "build");

/** The installer itself is pinned too, so a fresh machine resolves the same way. */
const UV_VERSION = "0.13.9";

/** Collects one PASS/FAIL line per check; `exitCode` is non-zero when any failed. */
export class Checks {
  #failed = 0;
  #passed = 0;

  async run(name: string, body: () => Promise<string | void>): Promise<boolean> {
    const started = performance.now();
    try {
      const detail = await body();
      const secs = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`PASS ${name} (${secs}s)${detail ? `: ${detail}` : ""}`);
      this.#passed++;
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.log(`FAIL ${name}: ${message}`);
      this.#failed++;
      return false;
    }
  }

  summary(label: string, startedAt: number): number {
    const secs = ((performance.now() - startedAt) / 1000).toFixed(0);
    const verdict = this.#failed === 0 ? "PASS" : "FAIL";
    console.log(`${verdict} ${label}: ${this.#passed} passed, ${this.#failed} failed, ${secs}s`);
    return this.#failed === 0 ? 0 : 1;
  }
}

export class CheckFailed extends Error {}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function runQuiet(cmd: string, args: string[], env?: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${text.slice(-3000)}`);
  }
}

/**
 * A venv at build/<name> holding exactly `requirements` (pinned specs). Reinstalls only when the
 * recorded requirement list changed, so a second run skips the download.
 */
export async function ensureVenv(name: string, requirements: string[]): Promise<string> {
  const python = Deno.env.get("PYTHON") ?? "python3.11";
  const uvVenv = join(BUILD, "venv-uv");
  const uv = join(uvVenv, "bin", "uv");
  const venv = join(BUILD, name);
  const stamp = join(venv, ".requirements");
  const wanted = requirements.join("\n");
  if (await exists(stamp) && (await Deno.readTextFile(stamp)) === wanted) return venv;

  const started = performance.now();
  if (!await exists(uv)) {
    await runQuiet(python, ["-m", "venv", uvVenv]);
    await runQuiet(join(uvVenv, "bin", "pip"), ["install", "-q", `uv==${UV_VERSION}`]);
  }
  const env = { UV_CACHE_DIR: join(BUILD, "uv-cache") };
  await runQuiet(uv, ["venv", "-q", "--clear", "-p", python, venv], env);
  await runQuiet(uv, ["pip", "install", "-q", "-p", venv, ...requirements], env);
  await Deno.writeTextFile(stamp, wanted);
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`installed ${requirements.join(" ")} into build/${name} in ${secs}s`);
  return venv;
}

/** A child process whose output goes to a log file under build/. */
export class Service {
  #child: Deno.ChildProcess;
  #file: Deno.FsFile;

  constructor(
    readonly name: string,
    readonly logPath: string,
    cmd: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    this.#file = Deno.openSync(logPath, { create: true, write: true, truncate: true });
    this.#child = new Deno.Command(cmd, {
      args,
      env,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const file = this.#file;
    // Both streams into one log; the write lock keeps lines whole.
    let chain = Promise.resolve();
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) {
        chain = chain.then(async () => {
          await file.write(chunk);
        });
      }
    };
    this.done = Promise.all([pump(this.#child.stdout), pump(this.#child.stderr)])
      .then(() => chain)
      .then(() => this.#child.status);
  }

  readonly done: Promise<Deno.CommandStatus>;

  /** SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, graceMs);
    await this.done;
    clearTimeout(timer);
    this.#file.close();
  }

  async logTail(chars = 2000): Promise<string> {
    return (await Deno.readTextFile(this.logPath)).slice(-chars);
  }
}

/** Polls `url` until it answers 200, the service exits, or `timeoutMs` passes. */
export async function waitHttp(url: string, service: Service, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  service.done.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`${service.name} exited before ${url} answered:\n${await service.logTail()}`);
    }
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s:\n${await service.logTail()}`);
}

/** The demo server (`deno task demo`) on a loopback port, started directly so it can be killed. */
export async function startDemo(
  name: string,
  port: number,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<Service> {
  const service = new Service(name, join(BUILD, `${name}.log`), Deno.execPath(), [
    "run",
    "--v8-flags=--optimize-for-size",
    "--allow-ffi",
    "--allow-read",
    "--allow-env",
    "--allow-net",
    "--allow-write=build",
    "--allow-run=sh",
    "tests/mock/demo.ts",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    ...extraArgs,
  ], env);
  await waitHttp(`http://127.0.0.1:${port}/health`, service, 120_000);
  return service;
}

/** `counter{labels}` summed over every series whose label text contains all `match` parts. */
export async function metric(base: string, counter: string, match: string[]): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${counter}{`)) continue;
    const labels = line.slice(counter.length, line.lastIndexOf("}") + 1);
    if (match.every((m) => labels.includes(m))) total += Number(line.split(" ").at(-1));
  }
  return total;
}

/** JSON over HTTP with a readable error for a non-2xx answer. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CheckFailed(`${url} → ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, json };
}

/** The assistant text of an OpenAI-shaped chat completion, or a CheckFailed. */
export function completionText(json: Record<string, unknown>): string {
  const choices = json.choices as { message?: { content?: unknown } }[] | undefined;
  const content = choices?.[0]?.message?.content;
  expect(typeof content === "string", `no choices[0].message.content in ${snippet(json)}`);
  return content;
}

export function snippet(value: unknown, chars = 300): string {
  return JSON.stringify(value).slice(0, chars);
}
