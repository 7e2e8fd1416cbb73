/**
 * Tests for src/rag/cache.ts with an injected clock: keys, expiry, LRU order and eviction,
 * and the disabled cache.
 */
import assert from "node:assert/strict";
import { RagCache } from "../../src/rag/cache.ts";

function setup(ttlMs = 1000, maxEntries?: number): { cache: RagCache; clock: { t: number } } {
  const clock = { t: 0 };
  return { cache: new RagCache({ ttlMs, maxEntries, now: () => clock.t }), clock };
}

Deno.test("RagCache.key() normalises the question and keeps model and context apart", async (t) => {
  const { cache } = setup();
  const base = cache.key("qwen3", "How fast is it?", "[1] ctx");
  const rows: [string, string, boolean][] = [
    [
      "case and whitespace of the question do not matter",
      cache.key("qwen3", "  how FAST\nis it? ", "[1] ctx"),
      true,
    ],
    ["another model differs", cache.key("qwen3-4b", "How fast is it?", "[1] ctx"), false],
    [
      "another context differs (new web results)",
      cache.key("qwen3", "How fast is it?", "[1] ctx2"),
      false,
    ],
    ["another question differs", cache.key("qwen3", "How slow is it?", "[1] ctx"), false],
    ["fields cannot run into each other", cache.key("qwen3 how", "fast is it?", "[1] ctx"), false],
  ];
  for (const [name, key, same] of rows) {
    await t.step(`RagCache.key(): ${name}`, () => assert.equal(key === base, same));
  }
});

Deno.test("RagCache get/set with an injected clock", async (t) => {
  await t.step("RagCache.get() misses an unknown key", () => {
    const { cache } = setup();
    assert.equal(cache.get("k"), undefined);
  });

  await t.step("RagCache.get() hits within the TTL, up to and including ttlMs", () => {
    const { cache, clock } = setup(1000);
    cache.set("k", "answer");
    clock.t = 1000;
    assert.equal(cache.get("k"), "answer");
  });

  await t.step("RagCache.get() removes an expired entry", () => {
    const { cache, clock } = setup(1000);
    cache.set("k", "answer");
    clock.t = 1001;
    assert.equal(cache.get("k"), undefined);
    assert.equal(cache.size, 0);
  });

  await t.step("RagCache.get() does not extend the lifetime of an entry", () => {
    const { cache, clock } = setup(1000);
    cache.set("k", "answer");
    clock.t = 900;
    assert.equal(cache.get("k"), "answer");
    clock.t = 1001;
    assert.equal(cache.get("k"), undefined);
  });

  await t.step("RagCache.set() refreshes an entry's value and time", () => {
    const { cache, clock } = setup(1000);
    cache.set("k", "old");
    clock.t = 900;
    cache.set("k", "new");
    clock.t = 1800;
    assert.equal(cache.get("k"), "new");
    assert.equal(cache.size, 1);
  });

  await t.step("RagCache.set() evicts the least recently used beyond maxEntries", () => {
    const { cache } = setup(1000, 2);
    cache.set("a", "1");
    cache.set("b", "2");
    cache.set("c", "3");
    assert.deepEqual([cache.get("a"), cache.get("b"), cache.get("c")], [undefined, "2", "3"]);
  });

  await t.step("RagCache.get() makes a hit the most recent", () => {
    const { cache } = setup(1000, 2);
    cache.set("a", "1");
    cache.set("b", "2");
    cache.get("a");
    cache.set("c", "3");
    assert.deepEqual([cache.get("a"), cache.get("b"), cache.get("c")], ["1", undefined, "3"]);
  });

  await t.step("RagCache holds 50 entries by default", () => {
    const { cache } = setup(1000);
    for (let i = 0; i < 60; i++) cache.set(`k${i}`, `v${i}`);
    assert.equal(cache.size, 50);
    assert.equal(cache.get("k9"), undefined);
    assert.equal(cache.get("k10"), "v10");
  });
});

Deno.test("RagCache with ttlMs ≤ 0 is disabled", async (t) => {
  for (const ttlMs of [0, -5]) {
    await t.step(`RagCache({ ttlMs: ${ttlMs} }) never stores and always misses`, () => {
      const { cache } = setup(ttlMs);
      cache.set("k", "answer");
      assert.equal(cache.size, 0);
      assert.equal(cache.get("k"), undefined);
      assert.equal(cache.enabled, false);
    });
  }
});
