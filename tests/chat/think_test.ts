/**
 * Tests for src/chat/think.ts: streaming splitter traces (reference A.12.1, adapted where the
 * rules improve on it), every cutting of a sample output, random cuttings, and the
 * non-streaming parser and history stripper.
 */

import assert from "node:assert/strict";
import {
  splitThinking,
  stripThinkBlocks,
  type ThinkOptions,
  type ThinkPiece,
  ThinkSplitter,
} from "../../src/chat/think.ts";

type Run = {
  pushes: ThinkPiece[][];
  flushed: ThinkPiece[];
  reasoning: string;
  content: string;
};

/** Feeds `pieces` to a fresh splitter and checks the invariants every output must satisfy. */
function run(pieces: readonly string[], opts?: ThinkOptions): Run {
  const splitter = new ThinkSplitter(opts);
  const pushes = pieces.map((p) => splitter.push(p));
  const flushed = splitter.flush();
  let reasoning = "";
  let content = "";
  for (const p of [...pushes.flat(), ...flushed]) {
    assert.notEqual(p.text, "", "empty piece emitted");
    if (p.kind === "reasoning") {
      assert.notEqual(p.text.trim(), "", "whitespace-only reasoning piece emitted");
      reasoning += p.text;
    } else {
      content += p.text;
    }
  }
  return { pushes, flushed, reasoning, content };
}

/** Code points, so cuttings never split a character (pieces arrive as whole characters). */
function chars(s: string): string[] {
  return Array.from(s);
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

function randomCut(s: string, rand: () => number): string[] {
  const cs = chars(s);
  const density = 0.05 + rand() * 0.6;
  const pieces: string[] = [];
  let cur = "";
  for (const c of cs) {
    cur += c;
    if (rand() < density) {
      pieces.push(cur);
      cur = "";
    }
  }
  if (cur !== "") pieces.push(cur);
  return pieces;
}

const r = (text: string): ThinkPiece => ({ kind: "reasoning", text });
const c = (text: string): ThinkPiece => ({ kind: "content", text });

Deno.test("ThinkSplitter.push() emits exactly these pieces per push", async (t) => {
  const rows: {
    name: string;
    pieces: string[];
    opts?: ThinkOptions;
    pushes: ThinkPiece[][];
    flushed: ThinkPiece[];
  }[] = [
    {
      name:
        "reference trace, adapted: the \\n\\n after a split </think> is dropped (reference: \\nHello)",
      pieces: ["<thi", "nk>\nabc</th", "ink>\n\nHello"],
      pushes: [[], [r("abc")], [c("Hello")]],
      flushed: [],
    },
    {
      name: "reference trace: a trailing < is held back, then flushed as content",
      pieces: ["no tags here <"],
      pushes: [[c("no tags here ")]],
      flushed: [c("<")],
    },
    {
      name: "holds back a split opening tag",
      pieces: ["Hi <thi", "nk>x"],
      pushes: [[c("Hi ")], [r("x")]],
      flushed: [],
    },
    {
      name: "holds back a split closing tag",
      pieces: ["<think>abc</th", "ink>Hi"],
      pushes: [[r("abc")], [c("Hi")]],
      flushed: [],
    },
    {
      name: "emits text at once when no tag can start",
      pieces: ["Hello wor", "ld"],
      pushes: [[c("Hello wor")], [c("ld")]],
      flushed: [],
    },
    {
      name: "holds back only the partial tag, not the whole piece",
      pieces: ["abc<", "b"],
      pushes: [[c("abc")], [c("<b")]],
      flushed: [],
    },
    {
      name: "releases <think as soon as the next character rules the tag out",
      pieces: ["<think", "ing>"],
      pushes: [[], [c("<thinking>")]],
      flushed: [],
    },
    {
      name: "merges adjacent content pieces around a dropped stray </think>",
      pieces: ["ab</think>cd"],
      pushes: [[c("abcd")]],
      flushed: [],
    },
    {
      name: "keeps two reasoning blocks with nothing between them apart",
      pieces: ["<think>a</think><think>b</think>c"],
      pushes: [[r("a"), r("b"), c("c")]],
      flushed: [],
    },
    {
      name: "carries reasoning whitespace to the next text instead of dropping it",
      pieces: ["<think>a\n", "\n", "b"],
      pushes: [[r("a")], [], [r("\n\nb")]],
      flushed: [],
    },
    {
      name: "drops whitespace after </think> that arrives pieces later",
      pieces: ["<think>a</think>", "\n", " \n", "Hi"],
      pushes: [[r("a")], [], [], [c("Hi")]],
      flushed: [],
    },
    {
      name: "emits a held-back partial closing tag as reasoning at flush",
      pieces: ["<think>abc </thi"],
      pushes: [[r("abc")]],
      flushed: [r(" </thi")],
    },
    {
      name: "implicitOpen: holds back a possible leading <think>",
      pieces: ["\n<th", "ink>\nhm", "m</think>ok"],
      opts: { implicitOpen: true },
      pushes: [[], [r("hm")], [r("m"), c("ok")]],
      flushed: [],
    },
    {
      name: "implicitOpen: emits reasoning at once when the text cannot be <think>",
      pieces: ["Okay", ", so"],
      opts: { implicitOpen: true },
      pushes: [[r("Okay")], [r(", so")]],
      flushed: [],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const got = run(row.pieces, row.opts);
      assert.deepEqual(got.pushes, row.pushes);
      assert.deepEqual(got.flushed, row.flushed);
    });
  }
});

Deno.test("ThinkSplitter splits reasoning from content (joined output)", async (t) => {
  const rows: {
    name: string;
    pieces: string[];
    opts?: ThinkOptions;
    reasoning: string;
    content: string;
  }[] = [
    {
      name: "reference trace, adapted: whitespace after a split </think> dropped across pieces",
      pieces: ["<thi", "nk>\nabc</th", "ink>\n\nHello"],
      reasoning: "abc",
      content: "Hello",
    },
    {
      name: "reference trace: no tags and a trailing <",
      pieces: ["no tags here <"],
      reasoning: "",
      content: "no tags here <",
    },
    {
      name: "content at the very start keeps its whitespace",
      pieces: ["\n\n  Hello"],
      reasoning: "",
      content: "\n\n  Hello",
    },
    {
      name: "content before <think> is emitted with its whitespace",
      pieces: ["\n<think>x</think>\n\nHi"],
      reasoning: "x",
      content: "\nHi",
    },
    {
      name: "implicitOpen: text before </think> is reasoning (thinking-2507)",
      pieces: ["Let me think.\n", "</think>\n\nAnswer."],
      opts: { implicitOpen: true },
      reasoning: "Let me think.",
      content: "Answer.",
    },
    {
      name: "implicitOpen: a leading <think> is consumed silently (hybrid Qwen3)",
      pieces: ["\n<think>\nhmm\n</think>\n\nHi"],
      opts: { implicitOpen: true },
      reasoning: "hmm",
      content: "Hi",
    },
    {
      name: "implicitOpen: a leading <think> split across pieces is consumed",
      pieces: ["  <th", "ink>", "hmm</think>Hi"],
      opts: { implicitOpen: true },
      reasoning: "hmm",
      content: "Hi",
    },
    {
      name: "implicitOpen: <think> after reasoning text is reasoning text",
      pieces: ["a <think> b</think>c"],
      opts: { implicitOpen: true },
      reasoning: "a <think> b",
      content: "c",
    },
    {
      name: "implicitOpen: without </think> everything is reasoning",
      pieces: ["just ", "text"],
      opts: { implicitOpen: true },
      reasoning: "just text",
      content: "",
    },
    {
      name: "implicitOpen: an immediate </think> gives only content",
      pieces: ["</think>\n\nHi"],
      opts: { implicitOpen: true },
      reasoning: "",
      content: "Hi",
    },
    {
      name: "implicitOpen: a second block after the implicit one",
      pieces: ["a</think>B<think>c</think>D"],
      opts: { implicitOpen: true },
      reasoning: "ac",
      content: "BD",
    },
    {
      name: "stray </think> at the start is dropped (reference: emitted as content)",
      pieces: ["</think>\n\nHello"],
      reasoning: "",
      content: "Hello",
    },
    {
      name: "stray </think> after text is dropped and the answer's whitespace kept",
      pieces: ["abc</", "think>\n\nHello"],
      reasoning: "",
      content: "abc\n\nHello",
    },
    {
      name: "</think> after a complete block is ordinary content",
      pieces: ["<think>a</think>b</think>c"],
      reasoning: "a",
      content: "b</think>c",
    },
    {
      name: "unclosed <think> makes the rest reasoning",
      pieces: ["Hi <think>\nstill ", "thinking\n"],
      reasoning: "still thinking",
      content: "Hi ",
    },
    {
      name: "< held at the end of the stream is content",
      pieces: ["abc <"],
      reasoning: "",
      content: "abc <",
    },
    {
      name: "<thi held at the end of the stream is content",
      pieces: ["abc <thi"],
      reasoning: "",
      content: "abc <thi",
    },
    {
      name: "< held at the end of reasoning is reasoning",
      pieces: ["<think>abc <"],
      reasoning: "abc <",
      content: "",
    },
    {
      name: "a < b is content",
      pieces: ["a <", " b"],
      reasoning: "",
      content: "a < b",
    },
    {
      name: "<thinking> is not <think>",
      pieces: ["<think", "ing>x</thinking>"],
      reasoning: "",
      content: "<thinking>x</thinking>",
    },
    {
      name: "</thinking> inside reasoning does not close it",
      pieces: ["<think>a</thinking>b</think>c"],
      reasoning: "a</thinking>b",
      content: "c",
    },
    {
      name: "<think> inside reasoning is reasoning text",
      pieces: ["<think>a<think>b</think>c"],
      reasoning: "a<think>b",
      content: "c",
    },
    {
      name: "two think blocks; whitespace between answer parts is kept",
      pieces: ["<think>a</think>\n\nX<think>\nb\n</think>\n\nY"],
      reasoning: "ab",
      content: "X\n\nY",
    },
    {
      name: "whitespace-only reasoning emits nothing",
      pieces: ["<think>\n\n</think>\n\nHi"],
      reasoning: "",
      content: "Hi",
    },
    {
      name: "reasoning newlines arriving as their own piece are kept (reference dropped them)",
      pieces: ["<think>Line one.", "\n\n", "Line two.", "\n", "</think>Answer"],
      reasoning: "Line one.\n\nLine two.",
      content: "Answer",
    },
    {
      name: "non-ASCII text around tags",
      pieces: chars("前言<think>\n思考…🤔\n</think>\n\n答え 🎉 é"),
      reasoning: "思考…🤔",
      content: "前言\n\n答え 🎉 é",
    },
    {
      name: "non-ASCII reasoning first, then the answer without the whitespace",
      pieces: chars("<think>ниже 🤔</think>\n\n答え"),
      reasoning: "ниже 🤔",
      content: "答え",
    },
    {
      name: "empty pieces are harmless",
      pieces: ["", "<think>", "", "a", "</think>", "", "b", ""],
      reasoning: "a",
      content: "b",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const got = run(row.pieces, row.opts);
      assert.equal(got.reasoning, row.reasoning);
      assert.equal(got.content, row.content);
    });
  }
});

Deno.test("ThinkSplitter gives the same output for every cutting of a sample", async (t) => {
  const sample = "<think>\nabc\n</think>\n\nHello world";
  const cs = chars(sample);
  const check = (pieces: string[]): void => {
    const got = run(pieces);
    const where = JSON.stringify(pieces);
    assert.equal(got.reasoning, "abc", where);
    assert.equal(got.content, "Hello world", where);
  };
  await t.step("cut into 2 pieces at every position", () => {
    for (let i = 1; i < cs.length; i++) {
      check([cs.slice(0, i).join(""), cs.slice(i).join("")]);
    }
  });
  await t.step("cut into 3 pieces at every pair of positions", () => {
    for (let i = 1; i < cs.length; i++) {
      for (let j = i + 1; j < cs.length; j++) {
        check([cs.slice(0, i).join(""), cs.slice(i, j).join(""), cs.slice(j).join("")]);
      }
    }
  });
  await t.step("one piece per character", () => check(cs));
  await t.step("one piece", () => check([sample]));
});

Deno.test("ThinkSplitter output does not depend on how the stream is cut (200 random cuttings)", async (t) => {
  const outputs = [
    "<think>\nabc\n</think>\n\nHello world",
    "Intro <think> first\n\nthought </think>\n\nmiddle<think>\nsecond</think> end <thi",
    "stray</think>\n\n answer a < b <thinking> </thinking> <",
    "\n \n<think>\n \n</think>\n \nx</think>y",
    "思考 🤔<think>é\n\n漢字</think>\n🎉 done\n",
    "<think>unclosed </think",
  ];
  const rand = prng(0x5eed);
  for (const opts of [{}, { implicitOpen: true }]) {
    for (const output of outputs) {
      await t.step(`${JSON.stringify(output)} ${JSON.stringify(opts)}`, () => {
        const whole = run([output], opts);
        for (let n = 0; n < 200; n++) {
          const pieces = randomCut(output, rand);
          const got = run(pieces, opts);
          const where = JSON.stringify(pieces);
          assert.equal(got.reasoning, whole.reasoning, where);
          assert.equal(got.content, whole.content, where);
        }
      });
    }
  }
});

Deno.test("splitThinking() parses a whole output", async (t) => {
  const rows: {
    name: string;
    full: string;
    opts?: ThinkOptions;
    reasoning: string;
    content: string;
  }[] = [
    { name: "plain text is content", full: "  Hello\n", reasoning: "", content: "Hello" },
    {
      name: "one block",
      full: "<think>\nabc\n</think>\n\nHello world",
      reasoning: "abc",
      content: "Hello world",
    },
    {
      name: "reasoning of two blocks is trimmed per block and joined with \\n",
      full: "<think> a </think>X<think>b\n</think>\n\nY",
      reasoning: "a\nb",
      content: "X\n\nY",
    },
    {
      name: "empty blocks add no reasoning line",
      full: "<think>a</think><think> </think><think>b</think>Z",
      reasoning: "a\nb",
      content: "Z",
    },
    {
      name: "implicitOpen without </think> anywhere: the whole output is content",
      full: "Hello there",
      opts: { implicitOpen: true },
      reasoning: "",
      content: "Hello there",
    },
    {
      name: "implicitOpen without </think> but an explicit <think>: unclosed block is reasoning",
      full: "<think>cut off by max_tokens",
      opts: { implicitOpen: true },
      reasoning: "cut off by max_tokens",
      content: "",
    },
    {
      name: "implicitOpen with </think>: text before it is reasoning",
      full: "thought\n</think>\n\nAnswer",
      opts: { implicitOpen: true },
      reasoning: "thought",
      content: "Answer",
    },
    {
      name: "implicitOpen with a leading <think>",
      full: "<think>\nthought\n</think>\n\nAnswer",
      opts: { implicitOpen: true },
      reasoning: "thought",
      content: "Answer",
    },
    {
      name: "without implicitOpen, text before a leading stray </think> is reasoning",
      full: "thought</think>\n\nAnswer",
      reasoning: "thought",
      content: "Answer",
    },
    {
      name: "unclosed <think> is reasoning (reference v2.0 left it in content)",
      full: "Answer <think>partial",
      reasoning: "partial",
      content: "Answer",
    },
    {
      name: "</think> after a complete block stays in content",
      full: "<think>a</think>b</think>c",
      reasoning: "a",
      content: "b</think>c",
    },
    {
      name: "<thinking> is content",
      full: "<thinking>x</thinking>",
      reasoning: "",
      content: "<thinking>x</thinking>",
    },
    { name: "empty output", full: "", reasoning: "", content: "" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(splitThinking(row.full, row.opts), {
        reasoning: row.reasoning,
        content: row.content,
      });
    });
  }
});

Deno.test("splitThinking() equals the trimmed one-piece stream when no exception applies", async (t) => {
  const rows: { full: string; opts?: ThinkOptions }[] = [
    { full: "<think>\nabc\n</think>\n\nHello world" },
    { full: "Hello <think> x" },
    { full: "a < b <thi" },
    { full: "\n<think>x</think>\n\n\u00e9t\u00e9 \u{1f389}" },
    { full: "thought</think>answer", opts: { implicitOpen: true } },
    { full: "<think>t</think>answer", opts: { implicitOpen: true } },
  ];
  for (const row of rows) {
    await t.step(`${JSON.stringify(row.full)} ${JSON.stringify(row.opts ?? {})}`, () => {
      const whole = run([row.full], row.opts);
      assert.deepEqual(splitThinking(row.full, row.opts), {
        reasoning: whole.reasoning.trim(),
        content: whole.content.trim(),
      });
    });
  }
});

Deno.test("stripThinkBlocks() removes reasoning from assistant history", async (t) => {
  const rows: { name: string; text: string; want: string }[] = [
    { name: "removes a leading block", text: "<think>\nx\n</think>\n\nHello", want: "Hello" },
    { name: "keeps text without tags, trimmed", text: "  Hello  \n", want: "Hello" },
    {
      name: "removes a block between two parts of the answer",
      text: "Part one.<think>x</think>\n\nPart two.",
      want: "Part one.\n\nPart two.",
    },
    {
      name: "removes every block",
      text: "<think>a</think>A<think>b</think>B",
      want: "AB",
    },
    {
      name: "removes text before a leading stray </think>",
      text: "thought</think>\n\nAnswer",
      want: "Answer",
    },
    { name: "removes an unclosed trailing <think>", text: "Answer\n<think>unfini", want: "Answer" },
    { name: "keeps <thinking>", text: "<thinking>", want: "<thinking>" },
    { name: "only a block", text: "<think>x</think>", want: "" },
    { name: "empty", text: "", want: "" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(stripThinkBlocks(row.text), row.want);
    });
  }
});
