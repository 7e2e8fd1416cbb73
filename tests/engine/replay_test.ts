import assert from "node:assert/strict";
import { replayGeneration } from "../../src/engine/replay.ts";
import type { ChatEvent } from "../../src/engine/types.ts";

async function all(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

Deno.test("replayGeneration() yields reasoning, content pieces and done", async () => {
  const content = "a".repeat(79) + "😀" + "b".repeat(100);
  const events = await all(
    replayGeneration({ requestId: "r", model: "m", content, reasoning: "why", promptText: "q" })
      .events,
  );
  assert.deepEqual(events[0], { type: "reasoning", text: "why" });
  const pieces = events.filter((e) => e.type === "content").map((e) =>
    (e as { text: string }).text
  );
  assert.equal(pieces.join(""), content);
  assert.ok(pieces.length > 1);
  assert.ok(pieces.every((p) => p.length <= 80));
  assert.ok(
    pieces.every((p) => !/[\uD800-\uDBFF]$/.test(p)),
    "no piece ends inside a surrogate pair",
  );
  const done = events.at(-1)!;
  assert.equal(done.type, "done");
  if (done.type === "done") assert.equal(done.finishReason, "stop");
});
