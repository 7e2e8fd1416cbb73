/**
 * Tests for src/rag/followup.ts: layer 1 for every filler, layer 3 (assistant turn, zero
 * overlap only, 1–8 content words), no layer 2, and document-referential questions.
 */
import assert from "node:assert/strict";
import {
  answerNames,
  contentWords,
  FILLER_QUESTIONS,
  followUpReason,
  isDocumentReferential,
  stem,
  trimEdges,
} from "../../src/rag/followup.ts";

const REFERENCE = "The RK3588 NPU runs Qwen3 1.7B at about 14 tokens per second.";

Deno.test("followUpReason() layer 1 skips every filler question", async (t) => {
  assert.equal(FILLER_QUESTIONS.size, 28);
  for (const filler of FILLER_QUESTIONS) {
    await t.step(`followUpReason() skips "${filler}" even without an assistant turn`, () => {
      assert.match(followUpReason(filler, false, REFERENCE) ?? "", /filler/);
    });
  }
  const rows: [string, string][] = [
    ["trailing punctuation and case", "  Thanks!! "],
    ["question marks", "Why?"],
    ["inner whitespace", "thank   you."],
  ];
  for (const [name, question] of rows) {
    await t.step(`followUpReason() layer 1 ignores ${name}`, () => {
      assert.notEqual(followUpReason(question, false, REFERENCE), null);
    });
  }
  await t.step("followUpReason() layer 1 needs the whole question to be filler", () => {
    assert.equal(followUpReason("why is the NPU fast?", false, REFERENCE), null);
  });
});

Deno.test("followUpReason() layer 3 skips only on zero overlap after an assistant turn", async (t) => {
  const rows: [string, string, boolean, boolean][] = [
    ["no overlap after an assistant turn", "And the weather in Berlin?", true, true],
    ["no overlap, first turn", "And the weather in Berlin?", false, false],
    ["one word of three overlaps (v2.0 skipped under 30 %)", "Berlin weather NPU?", true, false],
    ["overlap is a substring match", "tokens?", true, false],
    ["no content words at all", "what about it?", true, false],
    [
      "more than 8 content words never skip",
      "Compare Berlin Paris Rome Madrid Lisbon Vienna Prague Warsaw Oslo",
      true,
      false,
    ],
    [
      "exactly 8 content words with no overlap skip",
      "Compare Berlin Paris Rome Madrid Lisbon Vienna Prague",
      true,
      true,
    ],
    // Layer 2 of v2.0 (≤ 3 words after an assistant turn) is gone.
    ["a short question that overlaps is kept (no layer 2)", "NPU speed?", true, false],
  ];
  for (const [name, question, hasAssistant, skips] of rows) {
    await t.step(`followUpReason() layer 3: ${name}`, () => {
      const reason = followUpReason(question, hasAssistant, REFERENCE);
      assert.equal(reason !== null, skips, String(reason));
      if (skips) assert.match(reason ?? "", /no word/);
    });
  }
});

Deno.test("followUpReason() never skips a question about the document", async (t) => {
  const questions = [
    "Summarize",
    "summarise it",
    "give me a summary",
    "tl;dr",
    "What does the document say?",
    "what is in this file",
    "Explain the article",
    "what's on the page",
    "is this webpage reliable",
    "what do the sources claim",
    "read the attached pdf",
    "rewrite the text above",
    "check the search results",
  ];
  for (const q of questions) {
    await t.step(`followUpReason() keeps the context for "${q}"`, () => {
      assert.equal(isDocumentReferential(q), true);
      // After an assistant turn and with no word in common: layer 3 would have skipped.
      assert.equal(followUpReason(q, true, "zzz"), null);
    });
  }
  await t.step("isDocumentReferential() is false for an ordinary question", () => {
    assert.equal(isDocumentReferential("How fast is the NPU on a page of text"), false);
  });
});

Deno.test("contentWords() keeps words of 3+ characters that are not stop words", () => {
  assert.deepEqual(contentWords("Tell me: why is (the) RK3588's NPU so 'fast'?"), [
    "rk3588's",
    "npu",
    "fast",
  ]);
});

Deno.test("trimEdges() trims given characters from the end, and the start when asked", async (t) => {
  const rows: [string, string, boolean, string][] = [
    ["why?!", "?!.,", false, "why"],
    ["¿por qué?", "?!.,", false, "¿por qué"],
    ['"(quoted)"', `?!.,;:'"()`, true, "quoted"],
    ["...", "?!.,", true, ""],
    ["a.b", "?!.,", true, "a.b"],
    ["", "?", true, ""],
  ];
  for (const [text, chars, both, expected] of rows) {
    await t.step(`trimEdges(${JSON.stringify(text)}) → ${JSON.stringify(expected)}`, () => {
      assert.equal(trimEdges(text, chars, both), expected);
    });
  }
  await t.step("trimEdges() on 700,000 punctuation marks before a letter", () => {
    assert.equal(trimEdges(`${"?!".repeat(350_000)}x`, "?!", false).length, 700_001);
  });
});

Deno.test("followUpReason() keeps sources about what the last answer named", () => {
  const reference = "El Mulhacén es el pico más alto de la península ibérica, con 3479 metros.";
  const question = "¿Y cuánto mide el segundo?";
  const answer = "Los tres más altos son el Teide, el Mulhacén y el Aneto.";
  assert.match(followUpReason(question, true, reference) ?? "", /shares no word/);
  assert.equal(followUpReason(question, true, reference, answer), null);
  assert.match(followUpReason(question, true, reference, "Sure, happy to help.") ?? "", /no word/);
});

Deno.test("followUpReason() keeps sources about what the question before named", () => {
  // Korean glues particles on: 전입신고는 in the question before, 전입신고 on the page.
  const reference = "전입신고 늦게 하면 과태료는 최대 5만 원입니다.";
  const question = "벌써 한 달이 지났는데 그럼 얼마나 물어야 하나요?";
  const answer = "새 주소로 이사한 날부터 14일 이내에 신고하셔야 합니다.";
  assert.match(followUpReason(question, true, reference, answer) ?? "", /shares no word/);
  assert.equal(
    followUpReason(question, true, reference, answer, "전입신고는 언제까지 해야 돼요?"),
    null,
  );
  assert.match(
    followUpReason(question, true, reference, answer, "오늘 날씨 어때요?") ?? "",
    /shares no word/,
  );
});

Deno.test("followUpReason() reads Chinese questions by their words", () => {
  const reference = "灵隐寺香花券：30元/人。飞来峰景区门票：45元/人。";
  // "Does the first one need a ticket? How much?" after a question about Hangzhou's sights.
  assert.equal(
    followUpReason("第一个要门票吗？多少钱？", true, reference, "推荐灵隐寺和雷峰塔。"),
    null,
  );
  assert.match(followUpReason("谢谢你的帮助", true, reference, "") ?? "", /shares no word/);
});

Deno.test("stem() cuts the last fifth of a word of five letters or more", () => {
  assert.equal(stem("전입신고는"), "전입신고");
  assert.equal(stem("güncelleme"), "güncelle");
  assert.equal(stem("port"), "port");
});

Deno.test("answerNames() takes capitalised words mid-sentence and words with digits", () => {
  assert.deepEqual(
    answerNames("Two popular ones are the Orange Pi 5 Plus and the Radxa Rock 5B. They cost."),
    ["orange", "plus", "radxa", "rock"],
  );
});
