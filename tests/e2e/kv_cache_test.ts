import assert from "node:assert/strict";
import { readMockLog } from "../support/mock.ts";
import { startServer, type TestServer } from "../support/server.ts";

type Msg = { role: string; content: string };

async function ask(server: TestServer, model: string, messages: Msg[]): Promise<string> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, messages }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).choices[0].message.content;
}

Deno.test("e2e: a 10-turn conversation prefills only the new message from turn 2 on", async () => {
  const server = await startServer({ env: { RKLLM_MOCK_TOKENS: "12", RKLLM_MOCK_THINK: "1" } });
  try {
    const system = { role: "system", content: "You answer briefly." };
    const messages: Msg[] = [system];
    const sent: number[] = [];
    for (let turn = 1; turn <= 10; turn++) {
      messages.push({
        role: "user",
        content: `Question number ${turn}: tell me about topic ${turn}.`,
      });
      const reply = await ask(server, "qwen3-1.7b", messages);
      // Open WebUI sends the reasoning back inside <think> tags; the server must still match.
      messages.push({ role: "assistant", content: `<think>\nsome thoughts\n</think>\n\n${reply}` });
    }
    let log = await readMockLog(server.mockLog);
    const starts = log.filter((l) => l.event === "run_start");
    assert.equal(starts.length, 10);
    assert.equal(
      starts[0].prompt,
      "You answer briefly.\nQuestion number 1: tell me about topic 1.",
    );
    for (let turn = 2; turn <= 10; turn++) {
      assert.equal(
        starts[turn - 1].prompt,
        `Question number ${turn}: tell me about topic ${turn}.`,
      );
      assert.equal(starts[turn - 1].keep_history, 1);
    }
    assert.equal(
      log.filter((l) => l.fn === "rkllm_clear_kv_cache").length,
      1,
      "one reset, at turn 1",
    );
    for (const s of starts) sent.push((s.prompt as string).length);
    console.log(`characters sent per turn: ${sent.join(", ")}`);

    // Regenerate: the last user message is sent again with the same history → reset.
    const regenerate = messages.slice(0, -1);
    await ask(server, "qwen3-1.7b", regenerate);
    log = await readMockLog(server.mockLog);
    let last = log.filter((l) => l.event === "run_start").at(-1)!;
    assert.match(last.prompt as string, /^You answer briefly\.\nUser: Question number 1/);
    assert.equal(log.filter((l) => l.fn === "rkllm_clear_kv_cache").length, 2);
    console.log(`characters sent on regenerate: ${(last.prompt as string).length}`);

    // Edit of an earlier user message → reset.
    const edited = regenerate.map((m, i) => i === 3 ? { ...m, content: "An edited question." } : m);
    await ask(server, "qwen3-1.7b", edited);
    log = await readMockLog(server.mockLog);
    last = log.filter((l) => l.event === "run_start").at(-1)!;
    assert.match(last.prompt as string, /User: An edited question\./);
    assert.equal(log.filter((l) => l.fn === "rkllm_clear_kv_cache").length, 3);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("e2e: edits of assistant or system messages, other chats and model switches reset", async () => {
  const server = await startServer({ env: { RKLLM_MOCK_TOKENS: "6" } });
  try {
    const clears = async () =>
      (await readMockLog(server.mockLog)).filter((l) => l.fn === "rkllm_clear_kv_cache").length;
    const base: Msg[] = [{ role: "system", content: "S" }, { role: "user", content: "first" }];
    const a1 = await ask(server, "qwen3-1.7b", base);
    const turn2 = [...base, { role: "assistant", content: a1 }, {
      role: "user",
      content: "second",
    }];
    await ask(server, "qwen3-1.7b", turn2);
    assert.equal(await clears(), 1, "turn 2 was incremental");

    const steps: [string, Msg[], string][] = [
      ["assistant edit", [...base, { role: "assistant", content: "changed" }, {
        role: "user",
        content: "x",
      }], "qwen3-1.7b"],
      [
        "system edit",
        [{ role: "system", content: "T" }, { role: "user", content: "y" }],
        "qwen3-1.7b",
      ],
      ["another chat", [{ role: "user", content: "unrelated" }], "qwen3-1.7b"],
    ];
    let expected = 1;
    for (const [name, messages, model] of steps) {
      await ask(server, model, messages);
      expected++;
      assert.equal(await clears(), expected, name);
    }
    // A model switch loads a fresh model (its cache starts empty) and resets the tracker.
    await ask(server, "phi", [{ role: "user", content: "unrelated" }]);
    const reply = await ask(server, "qwen3-1.7b", [{ role: "user", content: "unrelated" }]);
    assert.ok(reply.length > 0);
    const log = await readMockLog(server.mockLog);
    assert.equal(log.filter((l) => l.fn === "rkllm_init").length, 3);
    assert.equal(log.filter((l) => l.fn === "rkllm_destroy").length, 2);
    const lastStart = log.filter((l) => l.event === "run_start").at(-1)!;
    assert.equal(lastStart.prompt, "unrelated");
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

Deno.test("e2e: an aborted turn is not reused: the next request resets", async () => {
  const server = await startServer({ env: { RKLLM_MOCK_TOKENS: "50" } });
  try {
    const base: Msg[] = [{ role: "user", content: "first" }];
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3-1.7b", max_tokens: 3, messages: base }),
    });
    const partial = (await res.json()).choices[0].message.content;
    await ask(server, "qwen3-1.7b", [...base, { role: "assistant", content: partial }, {
      role: "user",
      content: "second",
    }]);
    const log = await readMockLog(server.mockLog);
    assert.equal(log.filter((l) => l.fn === "rkllm_clear_kv_cache").length, 2);
    assert.match(
      log.filter((l) => l.event === "run_start").at(-1)!.prompt as string,
      /^User: first/,
    );
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
