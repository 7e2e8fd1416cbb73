/** Tests for src/http/stream_body.ts: frames, keep-alives, a client that stops reading. */
import assert from "node:assert/strict";
import { streamResponse } from "../../src/http/stream_body.ts";

const text = new TextEncoder();
const frame = (s: string) => text.encode(`${s}\n`);

/** A source of numbered values that records whether it was closed. */
function counting(limit = Infinity) {
  const state = { returned: false, produced: 0 };
  async function* gen() {
    try {
      while (state.produced < limit) yield String(state.produced++);
    } finally {
      state.returned = true;
    }
  }
  return { source: gen(), state };
}

Deno.test("streamResponse(): one frame per value, then the end", async () => {
  const { source } = counting(3);
  const res = streamResponse(source, { frame, headers: {} });
  assert.equal(await res.text(), "0\n1\n2\n");
});

/** A stream of `limit` values with a 50 ms stall limit, read by the test. */
function watched(limit = Infinity) {
  const { source, state } = counting(limit);
  const counts = { cancelled: 0 };
  const res = streamResponse(source, {
    frame,
    headers: {},
    stallMs: 50,
    onCancel: () => counts.cancelled++,
  });
  return { reader: res.body!.getReader(), state, counts };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("streamResponse(): a client that stops reading is cut off after stallMs", async () => {
  const { reader, state, counts } = watched();
  assert.equal(new TextDecoder().decode((await reader.read()).value), "0\n");
  // Nothing more is read: the frame waiting for the client is never taken.
  await sleep(300);
  assert.equal(counts.cancelled, 1);
  assert.ok(state.returned, "the source is closed, so its generation ends");
  await assert.rejects(async () => {
    while (!(await reader.read()).done);
  }, /stopped reading/);
});

Deno.test("streamResponse(): a client that keeps reading is never cut off", async () => {
  const { reader, state, counts } = watched(40);
  let frames = 0;
  while (!(await reader.read()).done) {
    frames++;
    await sleep(5);
  }
  assert.equal(frames, 40);
  assert.equal(counts.cancelled, 0);
  assert.ok(state.returned);
});
