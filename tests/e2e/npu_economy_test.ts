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
  /** No safe way to run the task: it is answered without the NPU (no suggestions). */
  skipped?: boolean;
}

const READINGS: Reading[] = [
  { keep0: "clear", range: "accept", files: "", strategy: "pause-clear", keepsChat: true },
  { keep0: "rollback", range: "accept", files: "", strategy: "rollback", keepsChat: true },
  { keep0: "reuse", range: "accept", files: "restore", strategy: "file", keepsChat: true },
  { keep0: "clear", range: "refuse", files: "restore", strategy: "file", keepsChat: true },
  // No strategy, and a keep_history=0 run would empty the cache: the suggestion is skipped...
  { keep0: "clear", range: "refuse", files: "", strategy: "none", keepsChat: true, skipped: true },
  {
    keep0: "clear",
    range: "ignore",
    files: "ignore",
    strategy: "none",
    keepsChat: true,
    skipped: true,
  },
  // ...but a runtime that restores the cache after such a run gets the task's whole prompt.
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
      assert.deepEqual(
        task,
        r.skipped ? { follow_ups: [] } : { follow_ups: ["What else?", "Why?"] },
        "suggestions produced where a way back to the chat exists",
      );

      const q2 = { role: "user", content: "And a GPU?" };
      await chat(server, [q1, { role: "assistant", content: a1 }, q2]);
      const log = await readMockLog(server.mockLog);
      const starts = log.filter((l) => l.fn === "rkllm_run" && l.event === "run_start");
      const taskRun = starts.find((l) => String(l.prompt).startsWith("### Task:"));
      const last = starts.at(-1)!;
      assert.equal(taskRun === undefined, r.skipped === true);
      if (taskRun) {
        assert.equal(
          String(taskRun.prompt).includes("<chat_history>"),
          r.strategy === "none",
          "with a strategy, only the task's instruction is sent",
        );
      }
      if (r.keepsChat) {
        assert.equal(last.prompt, "And a GPU?", "the next turn is incremental");
        // The cache the next turn starts from is exactly the one the first turn left.
        const chatEnd = log.findLast((l) =>
          l.event === "run_end" && l.seq < (taskRun ?? last).seq
        )!;
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

Deno.test("stopped answer: the turn after it continues on the cache when the client saved what it got", async () => {
  await withServer({
    env: { RKLLM_MOCK_TOKENS: "20", RKLLM_MOCK_TOKEN_MS: "100" },
    kvCalibration: true,
  }, async (server) => {
    const q1 = { role: "user", content: "Tell me a long story." };
    const ctl = new AbortController();
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      signal: ctl.signal,
      body: JSON.stringify({ model: "qwen3-1.7b", stream: true, messages: [q1] }),
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let partial = "";
    let chunks = 0;
    while (chunks < 5) {
      const { value } = await reader.read();
      buffered += value;
      let at: number;
      while ((at = buffered.indexOf("\n\n")) !== -1 && chunks < 5) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 2);
        if (!line.startsWith("data: {")) continue;
        const delta = JSON.parse(line.slice(6)).choices[0].delta.content;
        if (delta) {
          partial += delta;
          chunks++;
        }
      }
    }
    ctl.abort();
    await reader.cancel().catch(() => {});
    // Wait for the stopped run to end on the server.
    for (let i = 0; i < 50; i++) {
      const h = await (await fetch(`${server.url}/health`)).json();
      if (!h.busy) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await chat(server, [q1, { role: "assistant", content: partial }, {
      role: "user",
      content: "Go on.",
    }]);
    const starts = (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");
    assert.equal(starts.at(-1)!.prompt, "Go on.", "incremental on the stopped answer");
  });
});
