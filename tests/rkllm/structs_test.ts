import assert from "node:assert/strict";
import { ABI_VERSIONS, type AbiVersion, runtimeVersion } from "../../src/rkllm/versions.ts";
import { mockProbe } from "../support/mock.ts";

async function probe(abi: AbiVersion): Promise<Record<string, Record<string, number>>> {
  const out = await new Deno.Command(mockProbe(abi)).output();
  assert.ok(out.success, "probe failed to run");
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(json.abi, abi);
  return json.structs;
}

for (const abi of ABI_VERSIONS) {
  Deno.test(`struct layouts for ABI ${abi} match the C probe byte for byte`, async (t) => {
    const c = await probe(abi);
    const layout = runtimeVersion(abi).layout;
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
  assert.equal(runtimeVersion("1.2.3").layout.RKLLMSamplingParam, undefined);
  assert.equal(runtimeVersion("1.2.3").layout.RKLLMInferParam.keep_history, 24);
  assert.equal(runtimeVersion("1.3.0").layout.RKLLMInferParam.keep_history, 32);
});
