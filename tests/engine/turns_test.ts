/**
 * Engine-level behaviour on a scripted NPU (tests/support/fake_npu.ts): what each turn sends
 * given the KV cache, stop sequences, max_tokens, timeouts, tasks and tools. No FFI, no HTTP.
 */
import assert from "node:assert/strict";
import type { ChatMessage } from "../../src/chat/messages.ts";
import type { ChatEngine } from "../../src/engine/chat_engine.ts";
import type { ChatEvent, ChatRequest } from "../../src/engine/types.ts";
import { GenerationTimeoutError } from "../../src/errors.ts";
import { parseTaskModes } from "../../src/tasks/settings.ts";
import { fakeEngine, fakeEntry, type FakeNpuOptions } from "../support/fake_npu.ts";

function request(messages: ChatMessage[], over: Partial<ChatRequest> = {}): ChatRequest {
  return { requestId: "r", model: "m", messages, stop: [], sampling: {}, ...over };
}

async function drain(engine: ChatEngine, req: ChatRequest): Promise<ChatEvent[]> {
  const gen = await engine.start(req);
  const events: ChatEvent[] = [];
  for await (const e of gen.events) events.push(e);
  return events;
}

function text(events: ChatEvent[]): string {
  return events.map((e) => (e.type === "content" ? e.text : "")).join("");
}

function last(events: ChatEvent[]): ChatEvent {
  return events[events.length - 1];
}

async function withFake(
  fn: (f: ReturnType<typeof fakeEngine>) => Promise<void>,
  npuOpts: FakeNpuOptions = {},
  engineOpts: Parameters<typeof fakeEngine>[2] = {},
): Promise<void> {
  const f = fakeEngine([fakeEntry("m")], npuOpts, engineOpts);
  try {
    await fn(f);
  } finally {
    await f.close();
  }
}

const sys: ChatMessage = { role: "system", content: "Be brief." };
const q1: ChatMessage = { role: "user", content: "What is an NPU?" };
const q2: ChatMessage = { role: "user", content: "And a GPU?" };

Deno.test("engine: a follow-up turn sends only the new message; a regenerate clears and resends", async () => {
  await withFake(async ({ engine, npu }) => {
    npu.script({ tokens: ["An", " accelerator."] }, { tokens: ["A", " graphics", " chip."] });
    const first = await drain(engine, request([sys, q1]));
    assert.equal(text(first), "An accelerator.");
    const a1: ChatMessage = { role: "assistant", content: text(first) };
    await drain(engine, request([sys, q1, a1, q2]));
    const runs = npu.callsOf("run");
    assert.equal(runs[0].prompt, "Be brief.\nWhat is an NPU?");
    assert.equal(runs[1].prompt, "And a GPU?", "only the new message on top of the cache");
    assert.ok(runs[1].kvBefore > 0);

    // Regenerate the second answer: the cache holds it, the request does not.
    const clearsBefore = npu.callsOf("clear").length;
    await drain(engine, request([sys, q1, a1, q2]));
    assert.equal(npu.callsOf("clear").length, clearsBefore + 1);
    assert.match(
      npu.callsOf("run")[2].prompt,
      /User: What is an NPU\?\nAssistant: An accelerator\./,
    );
  });
});

Deno.test("engine: a stop sequence split across tokens ends the answer before it and aborts", async () => {
  await withFake(async ({ engine, npu }) => {
    npu.script({ tokens: ["one", " two", " ST", "OP", " three", " four"], tokenMs: 2 });
    const events = await drain(engine, request([q1], { stop: ["STOP"] }));
    assert.equal(text(events), "one two ");
    const done = last(events);
    assert.equal(done.type, "done");
    assert.equal(done.type === "done" && done.finishReason, "stop");
    assert.equal(engine.status().busy, false);
  });
});

Deno.test("engine: max_tokens ends with finish_reason length, and the cut answer is not cached", async () => {
  await withFake(async ({ engine, npu }) => {
    npu.script({ tokens: ["a", " b", " c", " d", " e"], tokenMs: 2 });
    const events = await drain(engine, request([q1], { maxTokens: 2 }));
    assert.equal(text(events), "a b");
    const done = last(events);
    assert.equal(done.type === "done" && done.finishReason, "length");
    // The next turn cannot be incremental: the cache holds an answer the client never saw whole.
    await drain(
      engine,
      request([q1, { role: "assistant", content: "a b" }, q2]),
    );
    assert.equal(npu.callsOf("run")[1].prompt.startsWith("User: What is an NPU?"), true);
  });
});

Deno.test("engine: no first token within the limit is a timeout error, and the NPU is free", async () => {
  await withFake(
    async ({ engine, npu }) => {
      npu.script({ tokens: ["late"], hang: true });
      const events = await drain(engine, request([q1]));
      const end = last(events);
      assert.equal(end.type, "error");
      assert.ok(end.type === "error" && end.error instanceof GenerationTimeoutError);
      assert.equal(engine.status().busy, false);
    },
    {},
    { firstTokenTimeoutMs: 30 },
  );
});

Deno.test("engine: a model-mode task keeps the chat's cache only when the runtime rolls back", async (t) => {
  const task: ChatMessage = {
    role: "user",
    content: "### Task:\nSuggest 3 follow-up questions.\n### Output:\nJSON format: " +
      '{ "follow_ups": ["Question 1?"] }\n<chat_history>\nUSER: What is an NPU?\n</chat_history>',
  };
  for (const keep0 of ["rollback", "clear"] as const) {
    await t.step(keep0, async () => {
      await withFake(
        async ({ engine, npu }) => {
          npu.script(
            { tokens: ["An", " accelerator."] },
            { tokens: ['{"follow_ups": ["Why?"]}'] },
            { tokens: ["GPU."] },
          );
          const first = await drain(engine, request([q1]));
          const taskReply = await drain(engine, request([task]));
          assert.match(text(taskReply), /follow_ups/);
          await drain(
            engine,
            request([q1, { role: "assistant", content: text(first) }, q2]),
          );
          const runs = npu.callsOf("run");
          assert.equal(runs[1].keepHistory, false, "the task stays out of the conversation");
          assert.equal(
            runs[2].prompt === "And a GPU?",
            keep0 === "rollback",
            "incremental only when the cache survived the task",
          );
        },
        { keep0 },
        { taskModes: parseTaskModes("follow_ups=model") },
      );
    });
  }
});

Deno.test("engine: offering tools sets them and restarts the cache; dropping them switches them off", async () => {
  await withFake(async ({ engine, npu }) => {
    const tools = [{ name: "get_time", description: "time", parameters: { type: "object" } }];
    npu.script({ tokens: ["Hi."] }, { tokens: ["Sure."] });
    const first = await drain(engine, request([q1]));
    await drain(
      engine,
      request([q1, { role: "assistant", content: text(first) }, q2], { tools }),
    );
    const set = npu.callsOf("tools");
    assert.equal(set.length, 1);
    assert.match(set[0].json, /get_time/);
    assert.equal(npu.callsOf("clear").length, 2, "a changed template starts the cache over");
    await drain(engine, request([q1]));
    assert.equal(npu.callsOf("tools").at(-1)?.json, "", "tools off again");
  });
});

Deno.test("engine: a runtime that refuses empty tool strings is reloaded, never left failing", async (t) => {
  for (const refuse of [false, true]) {
    await t.step(refuse ? "empty tools refused" : "empty tools accepted", async () => {
      await withFake(async ({ engine, npu }) => {
        const tools = [{ name: "get_time", parameters: { type: "object" } }];
        for (const offered of [tools, undefined, tools, undefined, undefined]) {
          const events = await drain(engine, request([q1], { tools: offered }));
          assert.equal(last(events).type, "done", JSON.stringify(last(events)));
        }
        const loads = npu.callsOf("load").length;
        // Refused: each switch-off reloads (once refused, the call is not tried again).
        assert.equal(loads, refuse ? 3 : 1);
        assert.equal(npu.callsOf("tools").filter((c) => c.json === "").length, refuse ? 0 : 2);
      }, { refuseEmptyTools: refuse });
    });
  }
});

Deno.test("engine: a queued client that leaves costs no load and no run, whatever model it wanted", async () => {
  const f = fakeEngine([fakeEntry("a"), fakeEntry("b")]);
  try {
    f.npu.script({ tokens: ["x", "y", "z"], tokenMs: 30 }, { tokens: ["ok"] });
    const first = await f.engine.start(request([q1], { model: "a" }));
    const gone = new AbortController();
    const leaving = f.engine.start(request([q1], { model: "b" }), gone.signal);
    const staying = f.engine.start(request([q2], { model: "a" }));
    gone.abort();
    await assert.rejects(leaving);
    for await (const _ of first.events) { /* read */ }
    const events: ChatEvent[] = [];
    for await (const e of (await staying).events) events.push(e);
    assert.equal(last(events).type, "done");
    assert.deepEqual(f.npu.callsOf("load").map((c) => c.model), ["/models/a/a.rkllm"]);
    assert.equal(f.npu.callsOf("run").length, 2);
  } finally {
    await f.close();
  }
});
