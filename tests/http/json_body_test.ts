/**
 * src/http/json_body.ts and body_deadline.ts as units: the nesting pre-scan (linear, skips
 * strings, names the top-level field), and the deadline on a body that stalls.
 */
import assert from "node:assert/strict";
import { MAX_JSON_DEPTH, nestingError } from "../../src/http/json_body.ts";
import { beforeBodyDeadline, RequestTimeoutError } from "../../src/http/body_deadline.ts";
import { isOutOfDescriptors } from "../../src/http/server.ts";
import { httpError } from "../../src/http/errors.ts";

const deep = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

Deno.test("nestingError(): within the limit is fine, beyond it a 400 naming the field", async (t) => {
  await t.step("shallow and exactly-at-limit bodies pass", () => {
    assert.equal(nestingError('{"model":"phi"}'), null);
    assert.equal(nestingError("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)), null);
  });
  await t.step("100,000 deep in an unknown field names it", () => {
    const err = nestingError(`{"model":"phi","metadata":${deep(100_000)}}`);
    assert.ok(err);
    assert.equal(httpError(err).status, 400);
    assert.equal(err.param, "metadata");
    assert.match(err.message, /nested deeper than 16384 levels/);
  });
  await t.step("a top-level array has no field to name", () => {
    assert.equal(nestingError("[".repeat(20_000))?.param, null);
  });
  await t.step("brackets inside strings (and escaped quotes) do not count", () => {
    const text = JSON.stringify({ a: "[".repeat(40_000), b: '\\"{'.repeat(20_000) });
    assert.equal(nestingError(text), null);
  });
  await t.step("an escaped key is named as decoded", () => {
    assert.equal(nestingError(`{"m\\u0065ta":${deep(20_000)}}`)?.param, "meta");
  });
});

/** A deadline `ms` from now that records whether it asked to close the connection. */
function deadlineIn(ms: number) {
  const state = { closing: false };
  const deadline = {
    bodyDeadline: Date.now() + ms,
    bodyTimeoutMs: ms,
    closeAfterResponse: () => state.closing = true,
  };
  return { deadline, state };
}

Deno.test("beforeBodyDeadline(): a stalled body is a 408 and asks to close the connection", async () => {
  const { deadline, state } = deadlineIn(100);
  const never = new Promise<ArrayBuffer>(() => {});
  await assert.rejects(() => beforeBodyDeadline(never, deadline), (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(httpError(err).status, 408);
    assert.equal(err.code, "request_timeout");
    assert.equal(httpError(err).headers.Connection, "close");
    return true;
  });
  assert.ok(state.closing);
});

Deno.test("beforeBodyDeadline(): a body in time, and no deadline at all, pass through", async () => {
  const { deadline, state } = deadlineIn(1000);
  assert.equal(await beforeBodyDeadline(Promise.resolve("body"), deadline), "body");
  assert.equal(await beforeBodyDeadline(Promise.resolve("body"), undefined), "body");
  assert.equal(
    await beforeBodyDeadline(Promise.resolve("body"), { ...deadline, bodyDeadline: Infinity }),
    "body",
  );
  assert.ok(!state.closing);
});

Deno.test("isOutOfDescriptors() knows EMFILE and ENFILE", () => {
  assert.ok(isOutOfDescriptors(new Error("Too many open files (os error 24)")));
  assert.ok(isOutOfDescriptors(new Error("Too many open files in system (os error 23)")));
  assert.ok(!isOutOfDescriptors(new Error("Connection reset by peer (os error 104)")));
});
