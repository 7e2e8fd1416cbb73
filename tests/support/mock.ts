/**
 * Test support for the mock runtime: paths of the built libraries (built by
 * `sh tests/mock/build.sh`, which `deno task test` runs first), temporary model folders the
 * mock accepts, and a reader for the mock's JSON-lines call log.
 */
import { join } from "node:path";
import { type AbiVersion } from "../../src/rkllm/versions.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;

/** `deno run` arguments that start main.ts with exactly the permissions the binary gets. */
export const RUN_MAIN = [
  "run",
  // As in the compiled binary: V8 keeps its heap near the working set (see the README).
  "--v8-flags=--optimize-for-size",
  "--unstable-no-legacy-abort",
  "--allow-ffi",
  "--allow-read",
  "--allow-env",
  "--allow-net",
  // Saved KV caches (and model pulls) write files.
  "--allow-write",
  "--allow-sys=statfs",
  join(ROOT, "main.ts"),
];

export function mockLibrary(abi: AbiVersion = "1.2.3"): string {
  return join(ROOT, "build", "mock", `v${abi}`, "librkllmrt.so");
}

/** The mock librknnrt.so (vision encoder); one build serves both rkllm ABIs. */
export function mockRknnLibrary(): string {
  return join(ROOT, "build", "mock", "rknn", "librknnrt.so");
}

export function mockProbe(abi: AbiVersion): string {
  return join(ROOT, "build", "mock", `v${abi}`, "probe");
}

/** A temporary models folder with one placeholder file per `folder: fileName` entry. */
export async function makeModelsDir(models: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "rkllm-models-" });
  for (const [folder, file] of Object.entries(models)) {
    await Deno.mkdir(join(dir, folder), { recursive: true });
    await Deno.writeTextFile(join(dir, folder, file), "mock weights\n");
  }
  return dir;
}

export interface MockLogLine {
  seq: number;
  t_ms: number;
  fn: string;
  event?: string;
  handle?: number;
  prompt?: string;
  role?: string;
  enable_thinking?: boolean;
  keep_history?: number;
  result?: string;
  tokens?: number;
  kv_len?: number;
  overlap?: boolean;
  ret?: number;
  params?: Record<string, unknown>;
  [key: string]: unknown;
}

export async function readMockLog(path: string): Promise<MockLogLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Sets env vars for the duration of `fn` (the mock reads them at every call). */
export async function withEnv<T>(
  vars: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}
