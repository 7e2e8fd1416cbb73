/**
 * Tests for src/rag/score.ts: one row per line of the reference A.10.7 table (each with its
 * point breakdown), the worked examples, and query-word extraction with the punctuation fix.
 */
import assert from "node:assert/strict";
import {
  ENGLISH_STOPWORDS,
  QUERY_STOPWORDS,
  queryWords,
  scoreParagraph,
} from "../../src/rag/score.ts";

const NONE: ReadonlySet<string> = new Set();
/** 44 characters, 11 words of which 7 are stop words, no punctuation: +3 density, +1 sentence. */
const PLAIN = "the river and the sea of a town in the hills";

Deno.test("the word lists are the reference's", () => {
  assert.equal(ENGLISH_STOPWORDS.size, 108);
  assert.equal(QUERY_STOPWORDS.size, 28);
});

Deno.test("scoreParagraph() applies each line of the A.10.7 table", async (t) => {
  const rows: { name: string; text: string; words?: string[]; score: number; why: string }[] = [
    // stop-word density
    {
      name: "stop-word density ≥ 0.30 gives +3",
      text: PLAIN,
      score: 4,
      why: "+3 density (7/11), +1 sentence",
    },
    {
      name: "stop-word density ≥ 0.20 gives +1",
      text: "the river runs past red farms into far blue hills",
      score: 2,
      why: "+1 density (2/10), +1 sentence; 49 chars",
    },
    {
      name: "stop-word density < 0.20 with 15+ words gives -2",
      text: "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron",
      score: 0,
      why: "-2 density (0/15), +1 length (80), +1 sentence",
    },
    {
      name: "stop-word density < 0.20 with under 15 words gives 0",
      text: "alpha beta gamma delta epsilon zeta eta theta",
      score: 1,
      why: "0 density (0/8), +1 sentence; 45 chars",
    },
    {
      name: "fewer than 5 words: no density points",
      text: "the and of it",
      score: -3,
      why: "no density (4 words), +1 sentence, -4 length (13)",
    },
    // length
    {
      name: "200+ characters give +3",
      text: Array(5).fill(PLAIN).join(" "),
      score: 7,
      why: "+3 density, +3 length (224), +1 sentence",
    },
    {
      name: "100+ characters give +2",
      text: Array(3).fill(PLAIN).join(" "),
      score: 6,
      why: "+3 density, +2 length (134), +1 sentence",
    },
    {
      name: "50+ characters give +1",
      text: `${PLAIN} of home`,
      score: 5,
      why: "+3 density, +1 length (52), +1 sentence",
    },
    {
      name: "under 20 characters give -4",
      text: "river bank",
      score: -4,
      why: "-4 length (10); 2 words: no sentence",
    },
    {
      name: "20 to 39 characters give -2",
      text: "the river and the sea of a town",
      score: 2,
      why: "+3 density (5/8), +1 sentence, -2 length (31)",
    },
    // sentences
    {
      name: "sentences of 4+ words count, at most 3",
      text: "the cat sat here. the dog ran off. the cow was there. the pig is fat.",
      score: 7,
      why: "+3 density (6/16: 'here.' keeps its dot), +1 length (69), +3 sentences (4)",
    },
    {
      name: "pieces of under 4 words are not sentences",
      text: "Go now. Run fast. Eat well.",
      score: -2,
      why: "0 density, 0 sentences, -2 length (27)",
    },
    // digit groups
    {
      name: "digit groups with a sentence give +1 each, at most 4",
      text: "In 2019, 2020, 2021, 2022 and 2023 the sales grew.",
      score: 9,
      why: "+3 density (3/10), +1 length (50), +1 sentence, +4 digit groups (5)",
    },
    {
      name: "digit groups without a sentence and 8+ words give at most +2",
      text: "Size 12. Weight 3 kg. Price 40 euro. Stock 7 left.",
      score: 3,
      why: "0 density (0/11), +1 length (50), 0 sentences, +2 digit groups (4)",
    },
    {
      name: "digit groups without a sentence and under 8 words give 0",
      text: "Size 12. Weight 3 kg. Price 40.",
      score: -2,
      why: "0 density (0/7), 0 sentences, 0 digit groups (3), -2 length (31)",
    },
    // query words
    {
      name: "each query word found gives +3",
      text: PLAIN,
      words: ["river", "hills", "moon"],
      score: 10,
      why: "+3 density, +1 sentence, +6 query words (2 of 3)",
    },
    {
      name: "query words match as substrings, case-insensitively",
      text: "The Rivers and the seas of a town in the hills",
      words: ["river"],
      score: 7,
      why: "+3 density, +1 sentence, +3 query word ('rivers')",
    },
    // capitalised
    {
      name: "over 70 % capitalised words without punctuation give -3",
      text: "Home News Sport Weather Contact Us",
      score: -4,
      why: "0 density (0/6), +1 sentence, -2 length (34), -3 capitalised",
    },
    {
      name: "capitalised words with punctuation are not penalised",
      text: "Home News Sport Weather Contact Us.",
      score: -1,
      why: "0 density, +1 sentence, -2 length (35)",
    },
    // emoji
    {
      name: "two or more emoji give -3",
      text: `${PLAIN} 🌊 🌄`,
      score: 2,
      why: "+3 density (7/13), +1 length (50), +1 sentence, -3 emoji",
    },
    {
      name: "an alarm clock and a stopwatch count as emoji",
      text: `${PLAIN} \u23F0 \u23F1`,
      score: 1,
      why: "+3 density (7/13), 0 length (48), +1 sentence, -3 emoji",
    },
    {
      name: "one emoji is not penalised",
      text: `${PLAIN} 🌊`,
      score: 4,
      why: "+3 density (7/12), 0 length (47), +1 sentence",
    },
    // junk markers
    {
      name: "a junk marker gives -4, once",
      text: "Copyright 2024 All rights reserved. Privacy policy.",
      score: -1,
      why: "0 density (1/7), +1 length (51), +1 sentence, +1 digit group, -4 junk",
    },
  ];
  for (const row of rows) {
    await t.step(`scoreParagraph() → ${row.score}: ${row.name} (${row.why})`, () => {
      assert.equal(scoreParagraph(row.text, new Set(row.words ?? [])), row.score);
    });
  }
});

Deno.test("scoreParagraph() takes 4 points for each junk marker", async (t) => {
  const markers = [
    "copyright",
    "all rights reserved",
    "privacy policy",
    "terms of service",
    "cookie policy",
    "sign in",
    "subscribe",
    "advertisement",
    "sponsored",
    "free widget",
    "webmaster",
    "full screen clock",
    "atomic-clock",
    "advert free",
  ];
  for (const marker of markers) {
    await t.step(`scoreParagraph() takes 4 points for "${marker}"`, () => {
      // The same length and word count without the marker: every other signal is unchanged.
      const neutral = marker.replace(/[a-z]/g, "q");
      assert.equal(
        scoreParagraph(`${PLAIN} ${marker.toUpperCase()}`, NONE),
        scoreParagraph(`${PLAIN} ${neutral}`, NONE) - 4,
      );
    });
  }
});

Deno.test("scoreParagraph() reproduces the worked example of A.10.7", async (t) => {
  const paris = "Paris is the capital of France. It has an estimated population of 2,102,650 " +
    "residents in January 2023 in an area of more than 105 km2.";
  await t.step(
    "scoreParagraph() → 14 with the reference's query words {population, paris?}",
    () => {
      // 3 density + 2 length (126) + 2 sentences + 4 digit groups + 3 (population);
      // "paris?" with its question mark is not in the paragraph.
      assert.equal(scoreParagraph(paris, new Set(["population", "paris?"])), 14);
    },
  );
  await t.step("scoreParagraph() → 17 with the fixed query words of the same question", () => {
    // queryWords() strips the "?", so "paris" now matches too: 14 + 3.
    const words = queryWords("What is the population of Paris?");
    assert.deepEqual([...words], ["population", "paris"]);
    assert.equal(scoreParagraph(paris, words), 17);
  });
  await t.step("scoreParagraph() → -4 for a navigation line", () => {
    assert.equal(scoreParagraph("Home News Sport Weather Contact Us", NONE), -4);
  });
  await t.step("scoreParagraph() → -1 for a copyright line", () => {
    assert.equal(
      scoreParagraph("Copyright 2024 All rights reserved. Privacy policy.", NONE),
      -1,
    );
  });
});

Deno.test("queryWords() keeps the words worth matching", async (t) => {
  const rows: [string, string, string[]][] = [
    ["stop words go", "What is the population of Paris?", ["population", "paris"]],
    [
      "punctuation is stripped from both ends, not inside",
      "How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?",
      ["fast", "orange", "pi", "plus", "npu", "run", "qwen3", "1.7b"],
    ],
    ["quotes and brackets go", "“Quoted” (words), «here»!", ["quoted", "words", "here"]],
    ["one-character words go", "a b c x y", []],
    ["duplicates count once", "NPU npu NPU?", ["npu"]],
    ["an empty question", "   ", []],
  ];
  for (const [name, question, words] of rows) {
    await t.step(`queryWords(): ${name}`, () => {
      assert.deepEqual([...queryWords(question)], words);
    });
  }
});
