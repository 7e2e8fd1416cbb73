/**
 * `rkllm-api doctor --probe-cache <model>`: the server's KV-cache calibration, run on its own
 * against the mock under two readings; the printed readings and strategy follow the runtime.
 */
import assert from "node:assert/strict";
import { makeModelsDir, mockLibrary, RUN_MAIN } from "../support/mock.ts";

for (const [keep0, strategy] of [["clear", "pause-clear"], ["rollback", "rollback"]]) {
  Deno.test(`doctor --probe-cache measures KEEP0=${keep0} and names the ${strategy} strategy`, async () => {
    const dir = await makeModelsDir({ "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" });
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          ...RUN_MAIN,
          "doctor",
          "--lib",
          mockLibrary(),
          "--models",
          dir,
          "--probe-cache",
          "qwen3",
        ],
        env: { NO_COLOR: "1", RKLLM_MOCK_KEEP0: keep0, RKLLM_MOCK_RANGE_CLEAR: "accept" },
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      const line = text.split("\n").find((l) => l.includes("KV cache"));
      assert.ok(line, text);
      assert.match(line, new RegExp(`PASS .*keep0=${keep0}.*task strategy ${strategy}$`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
