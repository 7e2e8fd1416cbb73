/**
 * Pull throughput over loopback from the fake Hub: end to end (listing, redirect, write, sha256
 * while writing, rename) and the cost of re-hashing a partial on resume. Prints numbers; asserts
 * nothing. `deno task bench:pull [MB]`.
 */
import { join } from "node:path";
import { StreamingHash } from "../../src/models/pull/digest.ts";
import { pullModel } from "../../src/models/pull/pull.ts";
import { bytesOf, sha256Hex, startFakeHub } from "./fake_hub.ts";

const megabytes = Number(Deno.args[0] ?? 256);
const content = bytesOf(megabytes * 1_000_000, 7);
const hub = startFakeHub({ repos: { "o/bench": { files: [{ path: "b.rkllm", content }] } } });
const dir = await Deno.makeTempDir();
try {
  let started = performance.now();
  for await (const _ of pullModel("o/bench", { modelsDir: dir, endpoint: hub.endpoint })) {
    // drain
  }
  const pullSeconds = (performance.now() - started) / 1000;

  const file = join(dir, "bench", "b.rkllm");
  started = performance.now();
  const hash = new StreamingHash({ algorithm: "sha256", hex: sha256Hex(content) }, content.length);
  await hash.updateFromFile(file);
  const hashSeconds = (performance.now() - started) / 1000;

  console.log(
    `pull ${megabytes} MB: ${pullSeconds.toFixed(2)} s = ${
      (megabytes / pullSeconds).toFixed(0)
    } MB/s` +
      ` (loopback, sha256 while writing)`,
  );
  console.log(
    `re-hash on resume: ${hashSeconds.toFixed(2)} s = ${(megabytes / hashSeconds).toFixed(0)} MB/s`,
  );
} finally {
  await hub.close();
  await Deno.remove(dir, { recursive: true });
}
