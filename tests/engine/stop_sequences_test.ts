/**
 * Tests for src/engine/stop_sequences.ts: tables fed in one piece and cut into 2, 3 and 4 pieces
 * at every position, exact per-push outputs, and random cuttings checked against a brute-force
 * oracle.
 */

import assert from "node:assert/strict";
import { StopMatcher } from "../../src/engine/stop_sequences.ts";

type Result = { text: string; stopped: boolean };

/** Feeds `pieces` to a fresh matcher; the emitted text includes flush() when no stop was hit. */
function feed(stops: readonly string[], pieces: readonly string[]): Result {
  const m = new StopMatcher(stops);
  let text = "";
  let stopped = false;
  for (const p of pieces) {
    const out = m.push(p);
    if (stopped) assert.deepEqual(out, { text: "", stopped: true }, "output after a stop");
    text += out.text;
    stopped = out.stopped;
  }
  const rest = m.flush();
  if (stopped) assert.equal(rest, "", "flush() after a stop");
  return { text: text + rest, stopped };
}

/**
 * Independent oracle: the shortest prefix of `text` that ends with some stop; among stops
 * ending there, the longest (the one starting earliest).
 */
function oracle(stops: readonly string[], text: string): Result {
  const real = stops.filter((s) => s !== "").sort((a, b) => b.length - a.length);
  for (let end = 1; end <= text.length; end++) {
    const head = text.slice(0, end);
    const hit = real.find((s) => head.endsWith(s));
    if (hit !== undefined) return { text: text.slice(0, end - hit.length), stopped: true };
  }
  return { text, stopped: false };
}

/** Every way to cut `text` (by code point) into `n` non-empty pieces. */
function* cuttings(text: string, n: number): Generator<string[]> {
  const cs = Array.from(text);
  function* rec(from: number, left: number): Generator<string[]> {
    if (left === 1) {
      yield [cs.slice(from).join("")];
      return;
    }
    for (let i = from + 1; i <= cs.length - left + 1; i++) {
      for (const rest of rec(i, left - 1)) yield [cs.slice(from, i).join(""), ...rest];
    }
  }
  if (cs.length >= n) yield* rec(0, n);
}

/** Deterministic PRNG (mulberry32) so the random cuttings are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("StopMatcher stops at the right place however the text is cut", async (t) => {
  const rows: { name: string; stops: string[]; text: string; want: Result }[] = [
    {
      name: "stop in the middle",
      stops: ["END"],
      text: "abcENDdef",
      want: { text: "abc", stopped: true },
    },
    {
      name: "no stop matches",
      stops: ["xyz"],
      text: "hello world",
      want: { text: "hello world", stopped: false },
    },
    {
      name: "a partial stop at the end is flushed",
      stops: ["xyz"],
      text: "hello xy",
      want: { text: "hello xy", stopped: false },
    },
    {
      name: "overlapping stops ab, bc: the earliest ending wins",
      stops: ["ab", "bc"],
      text: "xabc",
      want: { text: "x", stopped: true },
    },
    {
      name: "overlapping stops bc, ab: order does not matter",
      stops: ["bc", "ab"],
      text: "xabc",
      want: { text: "x", stopped: true },
    },
    {
      name: "a shorter stop ending first beats a longer one starting first",
      stops: ["abcd", "bc"],
      text: "xabcdy",
      want: { text: "xa", stopped: true },
    },
    {
      name: "same end: the stop starting earliest wins",
      stops: ["bc", "abc"],
      text: "xabcy",
      want: { text: "x", stopped: true },
    },
    {
      name: "stop at the very start",
      stops: ["Hi"],
      text: "Hi there",
      want: { text: "", stopped: true },
    },
    {
      name: "stop is the whole text",
      stops: ["abc"],
      text: "abc",
      want: { text: "", stopped: true },
    },
    {
      name: "repeated prefix: aab in aaab",
      stops: ["aab"],
      text: "aaab",
      want: { text: "a", stopped: true },
    },
    {
      name: "repeated prefix: abab in xabaabab",
      stops: ["abab"],
      text: "xabaababz",
      want: { text: "xaba", stopped: true },
    },
    {
      name: "repeated prefix that never completes is emitted in full",
      stops: ["aab"],
      text: "aaaa",
      want: { text: "aaaa", stopped: false },
    },
    {
      name: "blank line stop",
      stops: ["\n\n"],
      text: "one\ntwo\n\nrest",
      want: { text: "one\ntwo", stopped: true },
    },
    {
      name: "multi-byte stop after CJK text",
      stops: ["。\n"],
      text: "你好。再见。\n后",
      want: { text: "你好。再见", stopped: true },
    },
    {
      name: "emoji stop next to another emoji",
      stops: ["🛑"],
      text: "go 🚀🛑 no",
      want: { text: "go 🚀", stopped: true },
    },
    {
      name: "four stops, the first to appear wins",
      stops: ["###", "User:", "\n\n\n", "</s>"],
      text: "Answer: 4.\nUser: next",
      want: { text: "Answer: 4.\n", stopped: true },
    },
    {
      name: "empty stop strings are ignored",
      stops: ["", "Z"],
      text: "abc",
      want: { text: "abc", stopped: false },
    },
    {
      name: "no stops: text passes through",
      stops: [],
      text: "a\n\nb",
      want: { text: "a\n\nb", stopped: false },
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(oracle(row.stops, row.text), row.want, "oracle disagrees with the table");
      assert.deepEqual(feed(row.stops, [row.text]), row.want, "one piece");
      for (let n = 2; n <= 4; n++) {
        for (const pieces of cuttings(row.text, n)) {
          assert.deepEqual(feed(row.stops, pieces), row.want, JSON.stringify(pieces));
        }
      }
      assert.deepEqual(feed(row.stops, Array.from(row.text)), row.want, "one piece per char");
    });
  }
});

Deno.test("StopMatcher.push() emits exactly these texts per push", async (t) => {
  const rows: {
    name: string;
    stops: string[];
    pieces: string[];
    pushes: Result[];
    flushed: string;
  }[] = [
    {
      name: "passes text through unbuffered when there are no stops",
      stops: [],
      pieces: ["a<", "\n"],
      pushes: [{ text: "a<", stopped: false }, { text: "\n", stopped: false }],
      flushed: "",
    },
    {
      name: "holds back only a possible start of a stop",
      stops: ["END"],
      pieces: ["abcE", "N", "x"],
      pushes: [
        { text: "abc", stopped: false },
        { text: "", stopped: false },
        { text: "ENx", stopped: false },
      ],
      flushed: "",
    },
    {
      name: "holds back the longest possible start among several stops",
      stops: ["xy", "abcd"],
      pieces: ["1abc", "x"],
      pushes: [{ text: "1", stopped: false }, { text: "abc", stopped: false }],
      flushed: "x",
    },
    {
      name: "releases one a when aab cannot start there any more",
      stops: ["aab"],
      pieces: ["aa", "a", "b"],
      pushes: [
        { text: "", stopped: false },
        { text: "a", stopped: false },
        { text: "", stopped: true },
      ],
      flushed: "",
    },
    {
      name: "emits the text before a stop completed across pieces",
      stops: ["\n\n"],
      pieces: ["done.\n", "\nmore"],
      pushes: [{ text: "done.", stopped: false }, { text: "", stopped: true }],
      flushed: "",
    },
    {
      name: "returns nothing after a stop",
      stops: ["!"],
      pieces: ["hi! there", "more", "!"],
      pushes: [
        { text: "hi", stopped: true },
        { text: "", stopped: true },
        { text: "", stopped: true },
      ],
      flushed: "",
    },
    {
      name: "flush() emits held-back text at the end of the stream",
      stops: ["END"],
      pieces: ["xEN"],
      pushes: [{ text: "x", stopped: false }],
      flushed: "EN",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const m = new StopMatcher(row.stops);
      assert.deepEqual(row.pieces.map((p) => m.push(p)), row.pushes);
      assert.equal(m.flush(), row.flushed);
    });
  }
});

Deno.test("StopMatcher output does not depend on how the stream is cut (random cuttings)", async (t) => {
  const cases: { stops: string[]; alphabet: string[] }[] = [
    { stops: ["aab"], alphabet: ["a", "b"] },
    { stops: ["ab", "bc"], alphabet: ["a", "b", "c"] },
    { stops: ["abab", "bb", "c"], alphabet: ["a", "b", "c", "d"] },
    { stops: ["\n\n", "\nUser:"], alphabet: ["\n", "U", "s", "e", "r", ":", " "] },
    { stops: ["é🙂", "🙂🙂"], alphabet: ["é", "🙂", "x"] },
  ];
  const rand = prng(0xc0ffee);
  for (const { stops, alphabet } of cases) {
    await t.step(`stops ${JSON.stringify(stops)}`, () => {
      for (let n = 0; n < 200; n++) {
        const len = 1 + Math.floor(rand() * 24);
        let text = "";
        for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
        const pieces: string[] = [];
        let cur = "";
        for (const ch of text) {
          cur += ch;
          if (rand() < 0.4) {
            pieces.push(cur);
            cur = "";
          }
        }
        if (cur !== "") pieces.push(cur);
        const whole = feed(stops, [text]);
        const where = JSON.stringify(pieces);
        assert.deepEqual(whole, oracle(stops, text), `oracle: ${JSON.stringify(text)}`);
        assert.deepEqual(feed(stops, pieces), whole, where);
      }
    });
  }
});
