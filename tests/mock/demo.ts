/**
 * `deno task demo`: a working server on any Linux machine without an NPU. Builds the mock
 * runtime, creates a demo models folder (placeholder .rkllm files the mock accepts), and serves
 * with mock settings that feel like a small model on an RK3588: ~60 ms prefill, ~25 tokens/s,
 * thinking preamble for thinking models. It listens on 127.0.0.1 only (the README's curl
 * lines use localhost); extra arguments are passed to the server and win
 * (e.g. `deno task demo --port 8080`, `deno task demo --host 0.0.0.0`).
 */
import { join } from "node:path";
import { main } from "../../main.ts";

const root = new URL("../..", import.meta.url).pathname;
const modelsDir = join(root, "build", "demo-models");
const lib = join(root, "build", "mock", "v1.2.3", "librkllmrt.so");

const DEMO_MODELS: Record<string, string> = {
  "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm",
  "Qwen3-4B-Instruct-2507": "Qwen3-4B-Instruct-2507-16k-w8a8-rk3588.rkllm",
  "Phi-3-Mini-4K-Instruct": "Phi-3-Mini-4K-Instruct-w8a8-rk3588.rkllm",
  "Qwen3-Embedding-0.6B": "Qwen3-Embedding-0.6B-w8a8-rk3588.rkllm",
};
/** Sidecar configs: the embedding model serves /v1/embeddings only. */
const DEMO_CONFIGS: Record<string, unknown> = {
  "Qwen3-Embedding-0.6B": { skip_chat: true },
};

const build = await new Deno.Command("sh", {
  args: [join(root, "tests", "mock", "build.sh")],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!build.success) Deno.exit(build.code);

for (const [folder, file] of Object.entries(DEMO_MODELS)) {
  await Deno.mkdir(join(modelsDir, folder), { recursive: true });
  await Deno.writeTextFile(join(modelsDir, folder, file), "mock model weights\n");
  if (DEMO_CONFIGS[folder]) {
    await Deno.writeTextFile(
      join(modelsDir, folder, "model_config.json"),
      JSON.stringify(DEMO_CONFIGS[folder]),
    );
  }
}

const defaults: Record<string, string> = {
  RKLLM_MOCK_PREFILL_MS: "60",
  RKLLM_MOCK_TOKEN_MS: "40",
  RKLLM_MOCK_TOKENS: "48",
  RKLLM_MOCK_THINK: "1",
  RKLLM_MOCK_INIT_MS: "500",
};
for (const [key, value] of Object.entries(defaults)) {
  if (Deno.env.get(key) === undefined) Deno.env.set(key, value);
}

console.error(`demo: mock runtime ${lib}, models in ${modelsDir}`);
Deno.exit(
  await main(["serve", "--host", "127.0.0.1", "--lib", lib, "--models", modelsDir, ...Deno.args]),
);
