/**
 * Background tasks on the cached chat (task mode `continue`) under every reading of the runtime
 * the mock offers: what a keep_history=0 run leaves (clear, rollback, reuse), range clears
 * accepted or refused, prompt-cache files honoured or not. The server measures the reading at
 * the first load and picks its strategy; whatever it picks, the next chat turn must find the
 * cache exactly as the chat left it (or start over), never with the task still in it.
 */
import assert from "node:assert/strict";
import { type MockLogLine, readMockLog } from "../support/mock.ts";
import { type TestServer, withServer } from "../support/server.ts";

const REPLY = '{"follow_ups": ["What else?", "Why?"]}';

async function chat(server: TestServer, messages: unknown[]): Promise<string> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model: "qwen3-1.7b", messages }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).choices[0].message.content;
}

function followUpsTask(history: { role: string; content: string }[]): unknown[] {
  const lines = history.map((m) => `${m.role.toUpperCase()}: ${m.content}`).join("\n");
  return [{
    role: "user",
    content: "### Task:\nSuggest 3-5 relevant follow-up questions.\n### Output:\nJSON format: " +
      '{ "follow_ups": ["Question 1?"] }\n### Chat History:\n<chat_history>\n' + lines +
      "\n</chat_history>",
  }];
}

/** The KV-cache content (its hash) after each call that changed it, in order. */
function cacheStates(log: MockLogLine[]): string[] {
  return log.filter((l) => typeof l.context_hash === "string").map((l) => l.context_hash as string);
}

interface Reading {
  keep0: string;
  range: string;
  files: string;
  /** The strategy the server should pick. */
  strategy: string;
  /** The next chat turn finds the chat in the cache. */
  keepsChat: boolean;
}

const READINGS: Reading[] = [
  { keep0: "clear", range: "accept", files: "", strategy: "pause-clear", keepsChat: true },
  { keep0: "rollback", range: "accept", files: "", strategy: "rollback", keepsChat: true },
  { keep0: "reuse", range: "accept", files: "restore", strategy: "file", keepsChat: true },
  { keep0: "clear", range: "refuse", files: "restore", strategy: "file", keepsChat: true },
  // No strategy: the task's whole prompt runs with keep_history=0 ("model" mode)...
  { keep0: "clear", range: "refuse", files: "", strategy: "none", keepsChat: false },
  { keep0: "clear", range: "ignore", files: "ignore", strategy: "none", keepsChat: false },
  // ...which a runtime that reuses prefixes survives (it restores the cache after the run).
  { keep0: "reuse", range: "accept", files: "", strategy: "none", keepsChat: true },
];

for (const r of READINGS) {
  Deno.test(`continue task: KEEP0=${r.keep0} RANGE_CLEAR=${r.range} PROMPT_CACHE=${r.files || "unset"} → ${r.strategy}`, async () => {
    const env: Record<string, string> = {
      RKLLM_MOCK_REPLY: REPLY,
      RKLLM_MOCK_KEEP0: r.keep0,
      RKLLM_MOCK_RANGE_CLEAR: r.range,
    };
    if (r.files) env.RKLLM_MOCK_PROMPT_CACHE = r.files;
    await withServer({ env, kvCalibration: true }, async (server) => {
      const health = await (await fetch(`${server.url}/health`)).json();
      const q1 = { role: "user", content: "What does an NPU do?" };
      const a1 = await chat(server, [q1]);
      const measured = (await (await fetch(`${server.url}/health`)).json()).kv_cache;
      assert.equal(measured?.taskStrategy, r.strategy, JSON.stringify({ health, measured }));

      const task = JSON.parse(
        await chat(server, followUpsTask([q1, { role: "assistant", content: a1 }])),
      );
      assert.deepEqual(task, { follow_ups: ["What else?", "Why?"] }, "suggestions produced");

      const q2 = { role: "user", content: "And a GPU?" };
      await chat(server, [q1, { role: "assistant", content: a1 }, q2]);
      const log = await readMockLog(server.mockLog);
      const starts = log.filter((l) => l.fn === "rkllm_run" && l.event === "run_start");
      const taskRun = starts.find((l) => String(l.prompt).startsWith("### Task:"))!;
      const last = starts.at(-1)!;
      assert.equal(
        String(taskRun.prompt).includes("<chat_history>"),
        r.strategy === "none",
        "with a strategy, only the task's instruction is sent",
      );
      if (r.keepsChat) {
        assert.equal(last.prompt, "And a GPU?", "the next turn is incremental");
        // The cache the next turn starts from is exactly the one the first turn left.
        const chatEnd = log.findLast((l) => l.event === "run_end" && l.seq < taskRun.seq)!;
        const states = cacheStates(log.filter((l) => l.seq < last.seq));
        assert.equal(states.at(-1), chatEnd.context_hash, "no task position left in the cache");
      } else {
        // No safe way to keep the chat: the history is read again, in full.
        assert.match(String(last.prompt), /User: What does an NPU do\?/);
      }
    });
  });
}

Deno.test("continue task: a task about another chat is answered without the NPU", async () => {
  await withServer({
    env: { RKLLM_MOCK_REPLY: REPLY, RKLLM_MOCK_KEEP0: "rollback" },
    kvCalibration: true,
  }, async (server) => {
    await chat(server, [{ role: "user", content: "What does an NPU do?" }]);
    const runsBefore = (await readMockLog(server.mockLog)).filter((l) =>
      l.event === "run_start"
    ).length;
    const task = JSON.parse(
      await chat(
        server,
        followUpsTask([{ role: "user", content: "Another chat" }, {
          role: "assistant",
          content: "Yes.",
        }]),
      ),
    );
    assert.deepEqual(task, { follow_ups: [] });
    const runsAfter =
      (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start").length;
    assert.equal(runsAfter, runsBefore);
  });
});
