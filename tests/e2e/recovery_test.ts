/**
 * Runtime refusals are recovered: a runtime that refuses `rkllm_set_function_tools` with empty
 * strings (the header documents only a JSON tools array) must not turn every later tool-less
 * request into a 500; the model is reloaded to a clean state and the refusal remembered.
 */
import assert from "node:assert/strict";
import { readMockLog } from "../support/mock.ts";
import { withServer } from "../support/server.ts";

const TOOLS = [{
  type: "function",
  function: { name: "get_time", parameters: { type: "object", properties: {} } },
}];

for (const knob of ["refuse", ""]) {
  Deno.test(`recovery: tools on → off → on with RKLLM_MOCK_TOOLS_EMPTY=${knob || "unset"}`, async () => {
    await withServer({ env: knob ? { RKLLM_MOCK_TOOLS_EMPTY: knob } : {} }, async (server) => {
      const bodies = [
        { model: "qwen3-1.7b", tools: TOOLS },
        { model: "qwen3-1.7b", temperature: 0 },
        { model: "QWEN3-1.7B", n: 1 },
        { model: "qwen3-1.7b", tools: TOOLS },
        { model: "qwen3-1.7b" },
      ];
      for (const body of bodies) {
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify({
            ...body,
            messages: [{ role: "user", content: "What time is it?" }],
          }),
        });
        assert.equal(res.status, 200, `${JSON.stringify(body)}: ${await res.clone().text()}`);
        await res.body?.cancel();
      }
      const log = await readMockLog(server.mockLog);
      const inits = log.filter((l) => l.fn === "rkllm_init").length;
      assert.equal(inits, knob ? 3 : 1, "a reload only where the runtime refused");
      if (knob) {
        assert.ok(
          server.logs.some((l) => /WARN.*runtime call refused; reloading the model/.test(l)),
        );
      }
    });
  });
}
