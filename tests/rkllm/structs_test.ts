import assert from "node:assert/strict";
import { LAYOUTS } from "../../src/rkllm/structs.ts";
import { mockProbe } from "../support/mock.ts";

async function probe(abi: "1.2.3" | "1.3.0"): Promise<Record<string, Record<string, number>>> {
  const out = await new Deno.Command(mockProbe(abi)).output();
  assert.ok(out.success, "probe failed to run");
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(json.abi, abi);
  return json.structs;
}

for (const abi of ["1.2.3", "1.3.0"] as const) {
  Deno.test(`struct layouts for ABI ${abi} match the C probe byte for byte`, async (t) => {
    const c = await probe(abi);
    const layout = LAYOUTS[abi];
    for (const [struct, table] of Object.entries(layout)) {
      if (struct === "version") continue;
      await t.step(struct, () => {
        const cTable = c[struct];
        assert.ok(cTable, `probe has no ${struct}`);
        for (const [fieldName, offset] of Object.entries(table as Record<string, number>)) {
          assert.equal(offset, cTable[fieldName], `${struct}.${fieldName}`);
        }
      });
    }
  });
}

Deno.test("struct layouts: 1.2.3 has no per-run sampling, 1.3.0 moves keep_history", () => {
  assert.equal(LAYOUTS["1.2.3"].RKLLMSamplingParam, undefined);
  assert.equal(LAYOUTS["1.2.3"].RKLLMInferParam.keep_history, 24);
  assert.equal(LAYOUTS["1.3.0"].RKLLMInferParam.keep_history, 32);
});
