/**
 * src/http/json_body.ts and body_deadline.ts as units: the nesting pre-scan (linear, skips
 * strings, names the top-level field), and the body deadline on a request whose body stalls.
 */
import assert from "node:assert/strict";
import { MAX_JSON_DEPTH, nestingError } from "../../src/http/json_body.ts";
import { RequestTimeoutError, withBodyDeadline } from "../../src/http/body_deadline.ts";
import { isOutOfDescriptors } from "../../src/http/server.ts";

const deep = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

Deno.test("nestingError(): within the limit is fine, beyond it a 400 naming the field", async (t) => {
  await t.step("shallow and exactly-at-limit bodies pass", () => {
    assert.equal(nestingError('{"model":"phi"}'), null);
    assert.equal(nestingError("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)), null);
  });
  await t.step("100,000 deep in an unknown field names it", () => {
    const err = nestingError(`{"model":"phi","metadata":${deep(100_000)}}`);
    assert.ok(err);
    assert.equal(err.status, 400);
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

Deno.test("withBodyDeadline(): a stalled body errors with a 408 and reports it", async () => {
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"model":'));
    },
  });
  let expired = false;
  const request = withBodyDeadline(
    new Request("http://x/", { method: "POST", body: stalled }),
    100,
    () => expired = true,
  );
  await assert.rejects(() => request.arrayBuffer(), (err: unknown) => {
    assert.ok(err instanceof RequestTimeoutError);
    assert.equal(err.status, 408);
    assert.equal(err.code, "request_timeout");
    return true;
  });
  assert.ok(expired);
});

Deno.test("withBodyDeadline(): a complete body and a bodiless request pass through", async () => {
  const body = JSON.stringify({ model: "phi" });
  const request = new Request("http://x/", { method: "POST", body });
  assert.equal(await withBodyDeadline(request, 1000, () => {}).text(), body);
  const get = new Request("http://x/");
  assert.equal(withBodyDeadline(get, 1000, () => {}), get);
});

Deno.test("isOutOfDescriptors() knows EMFILE and ENFILE", () => {
  assert.ok(isOutOfDescriptors(new Error("Too many open files (os error 24)")));
  assert.ok(isOutOfDescriptors(new Error("Too many open files in system (os error 23)")));
  assert.ok(!isOutOfDescriptors(new Error("Connection reset by peer (os error 104)")));
});
