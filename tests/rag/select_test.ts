/** Tests for src/rag/select.ts (query terms, matching, selection) and the plan's coldPrompt. */
import assert from "node:assert/strict";
import type { RagSource } from "../../src/rag/detect.ts";
import {
  continues,
  echoes,
  matchWords,
  MAX_PARAGRAPHS,
  queryTerms,
  selectContext,
  trimChromeField,
} from "../../src/rag/select.ts";
import { withHistory } from "../../src/rag/pipeline.ts";
import { words } from "../../src/rag/text.ts";

const src = (id: string, text: string): RagSource => ({ id, name: null, text });
/** A source with its address. */
const at = (id: string, name: string, text: string): RagSource => ({ id, name, text });
/** The ids of the pages kept for a question, each once. */
const keptPages = (question: string, sources: RagSource[]) => [
  ...new Set(selectContext(sources, question, [], 10_000, 1000).kept.map((k) => k.sourceId)),
];

Deno.test("queryTerms() leaves stopwords out and weights the conversation less", () => {
  const terms = queryTerms("Wie hoch ist der Verbrauch?", ["Vaillant und Viessmann"]);
  // "hoch" is on the stopwords-iso German list.
  assert.deepEqual(terms, [
    { term: "verbrauch", weight: 1 },
    { term: "vaillant", weight: 0.3 },
    { term: "viessmann", weight: 0.3 },
  ]);
});

Deno.test("queryTerms() keeps the question's words worth matching", async (t) => {
  const rows: [string, string, string[]][] = [
    ["stopwords go, a trailing '?' does not stick", "What is the population of Paris?", [
      "population",
      "paris",
    ]],
    [
      "punctuation goes from the ends, not from inside (1.7b); a model's digit stays",
      "How fast can the Orange Pi 5 Plus NPU run Qwen3 1.7B?",
      ["fast", "orange", "pi", "5", "npu", "qwen3", "1.7b"],
    ],
    ["quotes and brackets go", "“Quoted” (words), «here»!", ["quoted"]],
    ["one-letter words go", "a b c x y", []],
    ["duplicates count once", "NPU npu NPU?", ["npu"]],
    ["an empty question", "   ", []],
    ["an elided article goes (French, Italian)", "J'ai commandé l'aspirateur jusqu'à lundi", [
      "commande",
      "aspirateur",
      "lundi",
    ]],
    ["a suffix after an apostrophe goes (English 's, Turkish)", "the landlord's key İstanbul'da", [
      "landlord",
      "key",
      "istanbul",
    ]],
  ];
  for (const [name, question, expected] of rows) {
    await t.step(`queryTerms(): ${name}`, () => {
      assert.deepEqual(queryTerms(question, []).map((q) => q.term), expected);
    });
  }
});

Deno.test("selectContext() keeps relevant lines under their ids and drops the rest", async (t) => {
  const sources = [
    src(
      "1",
      "We use cookies to improve your experience on this site.\n" +
        "The Eiffel Tower is 330 metres tall.\nIt was completed in March 1889 for the fair.",
    ),
    src("2", "Arsenal beat Chelsea 3-1 on Saturday, with two goals from Saka."),
    src("3", "The Eiffel Tower is 330 metres tall."),
  ];
  const r = selectContext(sources, "How tall is the Eiffel Tower?", [], 2000, 500);
  await t.step("a continuation sentence borrows its neighbour's relevance", () => {
    assert.deepEqual(r.kept.map((k) => [k.sourceId, k.text]), [
      ["1", "The Eiffel Tower is 330 metres tall."],
      ["1", "It was completed in March 1889 for the fair."],
    ]);
  });
  await t.step("an irrelevant source and a duplicate source are dropped", () => {
    assert.ok(!r.kept.some((k) => k.sourceId !== "1"));
    assert.equal(r.droppedDuplicates, 1);
    assert.equal(r.floorTriggered, false);
  });
  await t.step("nothing relevant → nothing kept, the floor is triggered", () => {
    const none = selectContext(sources.slice(1, 2), "How tall is the Eiffel Tower?", [], 2000, 90);
    assert.deepEqual(none.kept, []);
    assert.equal(none.floorTriggered, true);
  });
  await t.step("a question about the page itself keeps every source", () => {
    const all = selectContext(sources.slice(1, 2), "summarize", [], 2000, 90, true);
    assert.equal(all.kept.length, 1);
  });
});

Deno.test("withHistory() puts the most recent whole turns that fit before the prompt", async (t) => {
  const turns = [
    { role: "user" as const, content: "Which two heat pumps?" },
    { role: "assistant" as const, content: "Vaillant and Viessmann." },
  ];
  await t.step("both fit", () => {
    assert.equal(
      withHistory("P", turns, 1000),
      "Conversation so far:\nUser: Which two heat pumps?\nAssistant: Vaillant and Viessmann.\n\nP",
    );
  });
  await t.step("only the last fits", () => {
    assert.equal(
      withHistory("P", turns, 40),
      "Conversation so far:\nAssistant: Vaillant and Viessmann.\n\nP",
    );
  });
  await t.step("none fits", () => assert.equal(withHistory("P", turns, 10), "P"));
});

/** Relevant, well-formed lines about the NPU. */
/** The kept paragraphs of one page for a question. */
const keptOf = (page: string, question: string) =>
  selectContext([src("1", page)], question, [], 10_000, 1000).kept.map((k) => k.text);

const FACTS = [
  "The RK3588 NPU has three cores and is rated at 6 TOPS in total for INT8 workloads.",
  "Qwen3 1.7B runs at about 14 tokens per second on the NPU after w8a8 quantization.",
  "The NPU shares the LPDDR4X memory of the board, up to 32 GB on the Orange Pi 5 Plus.",
  "Prefill of a 1000-token prompt takes about 2 seconds on the NPU with a 4B model.",
];
const NPU = "How fast is the RK3588 NPU?";
const pick = (sources: RagSource[], budget = 100_000) =>
  selectContext(sources, NPU, [], budget, sources.reduce((n, s) => n + s.text.length, 0));

Deno.test("selectContext() packs the relevant units", async (t) => {
  await t.step("selectContext() keeps each unit's source id", () => {
    const r = pick([src("7", FACTS[0]), src("2", FACTS[1])]);
    assert.deepEqual(r.kept.map((k) => [k.sourceId, k.text]), [["7", FACTS[0]], ["2", FACTS[1]]]);
  });

  await t.step("selectContext() drops junk lines even when everything fits the budget", () => {
    const raw = `Jump to content\nAccept all cookies\nSign in\n${FACTS[0]}\n${
      FACTS[1]
    }\nPowered by`;
    const r = pick([src("1", raw)]);
    assert.deepEqual(r.kept.map((k) => k.text), [FACTS[0], FACTS[1]]);
    assert.equal(r.charsBefore, raw.length);
    assert.equal(r.charsAfter, FACTS[0].length + FACTS[1].length);
  });

  await t.step("selectContext() drops a duplicate in a later source, the earlier one wins", () => {
    const r = pick([src("1", FACTS[0]), src("2", `${FACTS[1]}\n\n${FACTS[0]}`)]);
    assert.deepEqual(r.kept.map((k) => [k.sourceId, k.text]), [["1", FACTS[0]], ["2", FACTS[1]]]);
    assert.equal(r.droppedDuplicates, 1);
  });

  await t.step("selectContext() keeps nothing from junk only", () => {
    const junk = "Home\n\nNews\n\nSport\n\nWeather\n\nCopyright 2024 All rights reserved.";
    const r = pick([src("1", junk), src("2", "Menu\n\nLogin")]);
    assert.deepEqual(r.kept, []);
    assert.equal(r.floorTriggered, true);
    assert.equal(r.charsAfter, 0);
  });

  await t.step("selectContext() with no sources keeps nothing", () => {
    assert.deepEqual(pick([]), {
      kept: [],
      bestScore: 0,
      floorTriggered: true,
      charsBefore: 0,
      charsAfter: 0,
      droppedDuplicates: 0,
    });
  });

  await t.step("selectContext() picks by relevance within the budget, then restores order", () => {
    // FACTS[0] matches "rk3588" and "npu"; the others only "npu".
    const text = [FACTS[1], FACTS[2], FACTS[0]].join("\n\n");
    assert.deepEqual(pick([src("1", text)]).kept.map((k) => k.text), [
      FACTS[1],
      FACTS[2],
      FACTS[0],
    ]);
    const one = pick([src("1", text)], FACTS[0].length + 2);
    assert.deepEqual(one.kept.map((k) => k.text), [FACTS[0]]);
    const two = pick([src("1", text)], FACTS[0].length + FACTS[2].length + 4);
    assert.equal(two.kept.length, 2);
    assert.equal(two.kept[1].text, FACTS[0]);
  });

  await t.step("selectContext() skips a unit too big for what is left, then fits a smaller", () => {
    const big = "The NPU supports INT4, INT8 and FP16 weights, and the toolkit converts Hugging " +
      "Face models on a PC before they are copied to the board.";
    const small = "The NPU supports INT4 and INT8 weights.";
    const r = pick([src("1", [FACTS[0], big, small].join("\n\n"))], FACTS[0].length + 2 + 100);
    assert.deepEqual(r.kept.map((k) => k.text), [FACTS[0], small]);
  });

  await t.step("selectContext() restores source order across sources", () => {
    const r = pick([src("1", FACTS[1]), src("2", FACTS[0]), src("3", FACTS[2])]);
    assert.deepEqual(r.kept.map((k) => k.sourceId), ["1", "2", "3"]);
  });

  await t.step(`selectContext() keeps at most ${MAX_PARAGRAPHS} units`, () => {
    // Distinct words in each, so that none is a near-duplicate of another.
    const many = Array.from({ length: MAX_PARAGRAPHS + 4 }, (_, i) => {
      // Letters (the exact key ignores digits), distinct in each: no near-duplicates.
      const l = String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26));
      return `Run ${i} of the RK3588 NPU test used ${l}a ${l}b ${l}c ${l}d ${l}e ${l}f ${l}g.`;
    });
    assert.equal(pick([src("1", many.join("\n\n"))]).kept.length, MAX_PARAGRAPHS);
  });
});

Deno.test("matchWords() leaves out handles, hashtags and links", async (t) => {
  const rows: [string, string[]][] = [
    ["Tag @homebaking on Instagram!", ["tag", "on", "instagram"]],
    ["#baking is fun", ["is", "fun"]],
    ["See https://example.com/baking-guide now", ["see", "now"]],
    ["Visit www.baking.example today", ["visit", "today"]],
    ["Write to info@baking.example", ["write", "to", "info", "example"]],
    ["Bake at 180 °C.", ["bake", "at", "180", "c"]],
  ];
  for (const [text, expected] of rows) {
    await t.step(`matchWords("${text}")`, () => assert.deepEqual(matchWords(text), expected));
  }
});

Deno.test("continues() tells whether a line goes on about the one before", async (t) => {
  const rows: [string, string, boolean][] = [
    ["It has an iron lattice.", "The tower has a lattice of iron.", true],
    ["The towers are repainted.", "The tower is tall.", true], // a partial match
    ["We use cookies on this site.", "The tower is 330 metres tall.", false],
    // Shared stopwords ("una") do not make a continuation.
    ["Este artículo tiene una comisión.", "Añade una pizca de sal.", false],
    ["电池容量很大。", "小米手环的电池容量是233mAh。", true],
  ];
  for (const [next, prev, expected] of rows) {
    await t.step(`continues("${next}", "${prev}") = ${expected}`, () => {
      assert.equal(continues(next, prev), expected);
    });
  }
});

Deno.test("trimChromeField() drops a chrome field from the top of a spec block", async (t) => {
  const terms = queryTerms("What is the weight and battery of the Steam Deck?", []);
  const unit = (text: string, junkBefore: boolean, fields = true) => ({
    sourceId: "1",
    source: 0,
    text,
    fields,
    junkBefore,
    junkAfter: false,
    soft: false,
    hardBefore: junkBefore,
    softBefore: null,
    listLike: false,
    code: false,
  });
  const rows: [string, ReturnType<typeof unit>, string][] = [
    [
      "after chrome, a first field naming nothing asked leaves",
      unit("Delivery: 1-3 days\nWeight: 640 g\nBattery: 50 Wh", true),
      "Weight: 640 g\nBattery: 50 Wh",
    ],
    [
      "a first field naming a question term stays",
      unit("Battery: 50 Wh\nDisplay: 7.4 inch", true),
      "Battery: 50 Wh\nDisplay: 7.4 inch",
    ],
    [
      "without chrome before it, the block stays whole",
      unit("Delivery: 1-3 days\nWeight: 640 g", false),
      "Delivery: 1-3 days\nWeight: 640 g",
    ],
    [
      "a single field stays (its own relevance decides)",
      unit("Delivery: 1-3 days", true),
      "Delivery: 1-3 days",
    ],
    [
      "a block that is not all fields stays",
      unit("Specs:\nDelivery: 1-3 days\nWeight: 640 g", true, false),
      "Specs:\nDelivery: 1-3 days\nWeight: 640 g",
    ],
  ];
  for (const [name, u, expected] of rows) {
    await t.step(
      `trimChromeField(): ${name}`,
      () => assert.equal(trimChromeField(u, terms).text, expected),
    );
  }
});

Deno.test("selectContext() admits seeds and the neighbours that belong with them", async (t) => {
  const Q = "How tall is the Eiffel Tower?";
  const FACT = "The Eiffel Tower is 330 metres tall.";
  const rows: [string, string, string[]][] = [
    [
      "a notice at the border to the chrome is not taken in",
      `Home > Paris\n${FACT}\nWe use cookies to give you the best experience on our site.\nShare`,
      [FACT],
    ],
    [
      "a line with a number is taken in, even at the border",
      `${FACT}\nIt opened in March 1889.\nShare`,
      [FACT, "It opened in March 1889."],
    ],
    [
      "a line that goes on about it is taken in, even at the border",
      `${FACT}\nThe tower's iron lattice is repainted regularly.\nShare`,
      [FACT, "The tower's iron lattice is repainted regularly."],
    ],
    [
      "… or about the text above it (bylines and fields left out)",
      `Posted by Ann: iron lattice question\nThe lattice is rusty, why?\n${FACT}\n` +
      "Paint the lattice every seven years.\nLike\nReply",
      ["The lattice is rusty, why?", FACT, "Paint the lattice every seven years."],
    ],
    [
      "at most two lines follow a seed",
      `${FACT}\nIt is a famous landmark.\nVisitors enjoy the view.\nThe park is large.\nShare`,
      [FACT, "It is a famous landmark.", "Visitors enjoy the view."],
    ],
    [
      "a prompt to the reader is not taken in",
      `${FACT}\nDid you enjoy this article?\nIt opened in 1889.`,
      [FACT],
    ],
    [
      "a question heads the answer after it",
      `Share\nHow tall is the Eiffel Tower?\n${FACT}\nShare`,
      ["How tall is the Eiffel Tower?", FACT],
    ],
    [
      "a question alone is never kept",
      `${FACT}\nShare\nIs the Eiffel Tower taller than the Statue of Liberty?\nShare`,
      [FACT],
    ],
    [
      "a unit surrounded by chrome needs half the best score",
      `${FACT}\nShare\nBook Eiffel view hotels today.\nTweet`,
      [FACT],
    ],
    [
      "… only at the head or tail of the chunk: between content, a fifth of it",
      `${FACT}\nShare\nBook Eiffel view hotels today.\nTweet\nVisitors climb 674 steps.`,
      [FACT, "Book Eiffel view hotels today."],
    ],
    [
      "… and a fifth of it without chrome on both sides",
      `${FACT}\nShare\nBook Eiffel view hotels today.\nRooms are quiet.`,
      [FACT, "Book Eiffel view hotels today."],
    ],
    [
      "a list that goes on about a seed is taken in, a field block is not",
      `${FACT}\n- The tower has three floors.\n- It has two restaurants.\nShare\n${
        FACT.replace("330", "300")
      }\nArchitect: Sauvestre\nBuilt: 1889`,
      [FACT, "- The tower has three floors.\n- It has two restaurants."],
    ],
    [
      "a list after a seed that introduces it is taken in",
      `The Eiffel Tower is tall; its heights are:\n\n- 330 metres with antennas\n- 300 metres without`,
      [
        "The Eiffel Tower is tall; its heights are:",
        "- 330 metres with antennas\n- 300 metres without",
      ],
    ],
    [
      "a list that neither goes on about it nor is introduced is not (a reference list)",
      `${FACT}\n1. Journal of Structures, 2016.\n2. City archives, 2022.`,
      [FACT],
    ],
    [
      "a command in the page's text is taken in, whatever words it shares",
      `${FACT}\nIt has a webcam.\nTo see it, run:\ncurl -s https://cam.example/eiffel.jpg -o tower.jpg` +
      "\nShare",
      [
        FACT,
        "It has a webcam.",
        "To see it, run:\ncurl -s https://cam.example/eiffel.jpg -o tower.jpg",
      ],
    ],
    [
      "… not between chrome",
      `${FACT}\nShare\nnpm install paris-widget --save\nTweet`,
      [FACT],
    ],
    [
      "a command without code symbols counts when a sentence introduces it",
      `${FACT}\nIts lift schedule is in the tzdata package, set it with:\nsudo dpkg-reconfigure tzdata`,
      [
        FACT,
        "Its lift schedule is in the tzdata package, set it with:\nsudo dpkg-reconfigure tzdata",
      ],
    ],
    [
      "a Markdown heading that names a release anywhere is a release heading",
      "## 2024-03-01, Version 2.0.0 'Iron'\n### Notable changes\n" +
      "The Eiffel Tower model is 330 metres tall now, see the notes.",
      [
        "## 2024-03-01, Version 2.0.0 'Iron'",
        "The Eiffel Tower model is 330 metres tall now, see the notes.",
      ],
    ],
    [
      "… across the byline between a release and its notes",
      "v2.0.1\nmvoss released this · 3 commits to main since this release\nMaintenance release.\n" +
      "Fixes\nThe Eiffel Tower model is 330 metres tall now, see the notes.",
      ["v2.0.1", "The Eiffel Tower model is 330 metres tall now, see the notes."],
    ],
    [
      "a kept line brings the release heading it sits under",
      "v2.1.0 (2024-05-02)\nAdded: night lights\nv2.0.0 (2024-01-10)\nChanged\n" +
      "- The Eiffel Tower model is 330 metres tall now.\n- Faster loading.",
      [
        "v2.0.0 (2024-01-10)",
        "- The Eiffel Tower model is 330 metres tall now.\n- Faster loading.",
      ],
    ],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`selectContext(): ${name}`, () => {
      const r = selectContext([src("1", text)], Q, [], 10_000, text.length);
      assert.deepEqual(r.kept.map((k) => k.text), expected);
    });
  }
});

Deno.test("selectContext() drops pages that name too little of the question", async (t) => {
  const Q = "How tall is the Eiffel Tower in Paris?";
  const FACT = "The Eiffel Tower in Paris is 330 metres tall.";
  const SPORT = "Paris Saint-Germain won the match 3-1 on Sunday.";
  const kept = (sources: RagSource[]) => keptPages(Q, sources);
  await t.step("a page naming one question word loses to one naming three", () => {
    assert.deepEqual(kept([src("1", FACT), src("2", SPORT)]), ["1"]);
  });
  await t.step("it stays when no page names three", () => {
    // Lower case: no names in the question, so only the count of question words decides.
    const q = "how tall is the eiffel tower in paris?";
    const sources = [src("1", "The tower in Paris opened in 1889."), src("2", SPORT)];
    assert.deepEqual(keptPages(q, sources), ["1", "2"]);
  });
  await t.step("question words no page uses weigh nothing (slang, typos, transliterations)", () => {
    const q = "yo bro any clue how tall the eiffel tower thingy is lol, asking for my trip ngl";
    const sources = [src("1", "Visitors say the Eiffel lift is quick."), src("2", SPORT)];
    assert.deepEqual(keptPages(q, sources), ["1"]);
  });
  await t.step("a page that names only the town of the question's names is a near miss", () => {
    assert.deepEqual(kept([src("1", "The tower in Paris opened in 1889."), src("2", SPORT)]), [
      "1",
    ]);
  });
  await t.step("chunks of one page (one id) are judged together", () => {
    assert.deepEqual(kept([src("1", FACT), src("1", "Paris has a lift to the top, 276 m up.")]), [
      "1",
    ]);
    const r = selectContext(
      [src("1", FACT), src("1", "Paris has a lift to the top, 276 m up.")],
      Q,
      [],
      10_000,
      1000,
    );
    assert.equal(r.kept.length, 2);
  });
  await t.step("a page covering too little of the question is dropped", () => {
    assert.deepEqual(kept([src("1", FACT), src("2", "Towers of cards fall over.")]), ["1"]);
  });
});

Deno.test("echoes() tells a line that only repeats the question", async (t) => {
  const question = "Why does my Raspberry Pi 5 show an under-voltage warning?";
  const asked = new Set(words(question));
  const terms = queryTerms(question, []);
  const rows: [string, boolean][] = [
    ["Re: Pi 5 under-voltage", true],
    ["Raspberry Pi 5 under-voltage warnings", true], // "warnings" matches the term "warning"
    ["The Pi 5 needs a 5 A supply.", false], // "needs", "supply", "a 5 A": something new
    ["Re: Pi 4 under-voltage", false], // the 4 is not asked about
    ["Re:", false], // names nothing
  ];
  for (const [text, expected] of rows) {
    await t.step(`echoes("${text}") = ${expected}`, () => {
      assert.equal(echoes(text, asked, terms), expected);
    });
  }
});

Deno.test("selectContext() does not keep a line or field that only echoes the question", () => {
  const Q = "Why does my Raspberry Pi 5 show an under-voltage warning?";
  const answer = "The Pi 5 needs a 5 A supply; a 3 A charger makes it warn about under-voltage.";
  const text = `Posts: 37\nJoined: May 2024\nRe: Pi 5 under-voltage\nShare\n${answer}\nShare\n` +
    "Raspberry Pi 5 under-voltage warning\nShare";
  const r = selectContext([src("1", text)], Q, [], 10_000, text.length);
  assert.deepEqual(r.kept.map((k) => k.text), [answer]);
});

Deno.test("selectContext() keeps a relevant page's spec sheet, not a profile box", () => {
  const Q = "How long is the Padma Bridge?";
  const lead = "The Padma Bridge crosses the Padma river in Bangladesh.";
  const sheet = "Carries: road and rail\nTotal length: 6.15 km\nWidth: 18.1 m\n" +
    "Opened: 25 June 2022\nDesigner: AECOM\nCost: 3.6 billion USD";
  const profile = "Joined: May 2019\nPosts: 2,417\nLikes: 1,102";
  const text = `${lead}\nInfobox\n${sheet}\nrakib_92\n${profile}\nNice photos.`;
  const kept = selectContext([src("1", text)], Q, [], 10_000, text.length).kept.map((k) => k.text);
  assert.ok(kept.some((k) => k.includes("Total length: 6.15 km")), kept.join("|"));
  assert.ok(!kept.some((k) => k.includes("Posts: 2,417")));
});

Deno.test("selectContext(): four fields with a measured value are a spec sheet too", () => {
  const Q = "How big is the plot of the house on Birch Road 12?";
  const lead = "A family house on Birch Road 12, close to the station.";
  // The first field after the heading goes as chrome (trimChromeField): four are left.
  const sheet = "Type: villa\nLiving area: 142 m²\nLand: 812 m²\nCellar: none\nEnergy label: D";
  const text = `${lead}\nFacts\n${sheet}\nContact the agent`;
  const kept = selectContext([src("1", text)], Q, [], 10_000, text.length).kept.map((k) => k.text);
  assert.ok(kept.some((k) => k.includes("Land: 812 m²")), kept.join("|"));
});

Deno.test("selectContext() keeps a field whose value answers a yes/no question", () => {
  const Q = "Does the flat have a lift and a cellar?";
  const specs = "Floor: 4 of 6\nLift: yes\nCellar: 3 m²\nHeating: gas";
  const text = `Price: 390 000 €\n\n${specs}`;
  const r = selectContext([src("1", text)], Q, [], 10_000, text.length);
  assert.ok(r.kept.some((k) => k.text.split("\n").includes("Lift: yes")));
});

Deno.test("queryTerms() joins runs of single CJK characters and halves a lone one", () => {
  // The segmenter splits an unknown name into characters: 珠穆朗玛峰 is one term again.
  const terms = queryTerms("珠穆朗玛峰的高度", []);
  assert.ok(terms.some((t) => t.term === "珠穆朗玛峰" && t.weight === 1));
  assert.ok(!terms.some((t) => t.term === "珠"));
  const lone = queryTerms("猫能吃巧克力吗", []);
  assert.deepEqual(lone.find((t) => t.term === "猫")?.weight, 0.5);
  assert.deepEqual(lone.find((t) => t.term === "巧克力")?.weight, 1);
});

Deno.test("selectContext(): a relevant heading claims its section", async (t) => {
  const keep = (q: string, text: string) =>
    selectContext([src("1", text)], q, [], 10_000, text.length).kept.map((k) => k.text);
  await t.step("list lines without bullets under a matching heading", () => {
    const text = [
      "Kochtopf › Rezepte",
      "Käsespätzle ist ein schwäbisches Gericht aus Spätzle und Käse.",
      "Zutaten für 4 Portionen",
      "400 g Mehl",
      "4 Eier",
      "250 g Bergkäse, gerieben",
      "Anzeige",
      "Rezept drucken",
    ].join("\n");
    assert.deepEqual(keep("Welche Zutaten brauche ich für Käsespätzle?", text), [
      "Käsespätzle ist ein schwäbisches Gericht aus Spätzle und Käse.",
      "Zutaten für 4 Portionen",
      "400 g Mehl",
      "4 Eier",
      "250 g Bergkäse, gerieben",
    ]);
  });
  await t.step("a section ends at the heading's sibling", () => {
    const text = [
      "Version 4.7.0 (12 March 2025)",
      "A new widget shows the next departures on the home screen.",
      "Season tickets can now be paid with BLIK as well",
      "Version 4.6.2 (20 February 2025)",
      "Fixed a crash when the city was changed on Android 14.",
    ].join("\n");
    assert.deepEqual(keep("What is new in version 4.7.0?", text), [
      "Version 4.7.0 (12 March 2025)",
      "A new widget shows the next departures on the home screen.",
      "Season tickets can now be paid with BLIK as well",
    ]);
  });
  await t.step("a matching related title over other titles is no section", () => {
    const text = [
      "The Eiffel Tower is 330 metres tall since a new antenna was added in 2022.",
      "Related",
      "Eiffel Tower tickets",
      "Louvre opening hours",
      "Seine cruises compared",
    ].join("\n");
    assert.deepEqual(keep("How tall is the Eiffel Tower?", text), [
      "The Eiffel Tower is 330 metres tall since a new antenna was added in 2022.",
    ]);
  });
});

Deno.test("selectContext(): an FAQ question admits its answer, a related one does not", () => {
  const text = [
    "Passports are renewed at the town hall.",
    "How much does it cost?",
    "The fee is 86 euros.",
    "Share this page",
    "How much does a new ID card cost?",
    "Download our app for all your paperwork.",
  ].join("\n");
  const r = selectContext([src("1", text)], "How much does a passport cost?", [], 10_000, 1000);
  assert.deepEqual(r.kept.map((k) => k.text), [
    "Passports are renewed at the town hall.",
    "How much does it cost?",
    "The fee is 86 euros.",
  ]);
});

Deno.test("relevantPages() drops near misses by the question's names", async (t) => {
  await t.step("the other model: an identifier is missing", () => {
    assert.deepEqual(
      keptPages("How long does the battery of the Sony WF-1000XM5 last?", [
        src("1", "The Sony WF-1000XM5 battery lasts 8 hours with noise cancelling on."),
        src("2", "The Sony WH-1000XM5 battery lasts 30 hours with noise cancelling on."),
      ]),
      ["1"],
    );
  });
  await t.step("every page the other year: nothing is kept", () => {
    assert.deepEqual(
      keptPages("How many visitors did the 2025 Expo have?", [
        src("1", "The 1970 Expo had 64 million visitors, a record for decades."),
        src("2", "The 2010 Expo in Shanghai had 73 million visitors."),
      ]),
      [],
    );
  });
  await t.step("a word name counts against the page that names most", () => {
    assert.deepEqual(
      keptPages("Which process listens on port 8080 on Linux?", [
        src("1", "On Linux, sudo ss -ltnp shows which process listens on port 8080."),
        src("2", "The Intel 8080 processor ran at 2 MHz; its process was 6 µm."),
      ]),
      ["1"],
    );
  });
  await t.step("a word name no page repeats drops none", () => {
    assert.deepEqual(
      keptPages("When will the new Thames tunnel open?", [
        src("1", "The Silvertown Tunnel is due to open to traffic on 7 April 2025."),
      ]),
      ["1"],
    );
  });
  await t.step("a page that puts its own subject where the question's word stands", () => {
    const q = "Wann hat das Hallenbad Süd in Erlangen am Wochenende geöffnet?";
    assert.deepEqual(
      keptPages(q, [
        at(
          "1",
          "https://www.erlangen.example.de/hallenbad-sued",
          "Das Hallenbad Süd hat am Wochenende von 8 bis 18 Uhr geöffnet.",
        ),
        at(
          "2",
          "https://www.nuernberg.example.de/hallenbad-sued",
          "Öffnungszeiten Hallenbad Süd Nürnberg\nAm Wochenende von 9 bis 17 Uhr geöffnet.",
        ),
      ]),
      ["1"],
    );
    // The same page without its address says nothing about what it is about.
    assert.deepEqual(
      keptPages(q, [
        at(
          "1",
          "https://www.erlangen.example.de/hallenbad-sued",
          "Das Hallenbad Süd hat am Wochenende von 8 bis 18 Uhr geöffnet.",
        ),
        src("2", "Öffnungszeiten Hallenbad Süd Nürnberg\nAm Wochenende von 9 bis 17 Uhr geöffnet."),
      ]),
      ["1", "2"],
    );
  });
  await t.step("a substitute no other page contradicts drops none", () => {
    assert.deepEqual(
      keptPages("When will the new Thames tunnel open?", [
        {
          id: "1",
          name: "https://news.example/silvertown-tunnel",
          text: "The Silvertown Tunnel is due to open on 7 April 2025.",
        },
      ]),
      ["1"],
    );
  });
  await t.step("every page puts another name there: nothing is kept", () => {
    const q = "¿A qué hora abre el Museo del Prado los domingos?";
    assert.deepEqual(
      keptPages(q, [
        {
          id: "1",
          name: "https://www.guia.example.es/museo-reina-sofia",
          text: "El Museo Reina Sofía abre los domingos de 10:00 a 14:30.",
        },
        {
          id: "2",
          name: "https://www.guia.example.es/museo-thyssen",
          text: "El Museo Thyssen abre los domingos de 10:00 a 19:00.",
        },
      ]),
      [],
    );
  });
  await t.step("two pages put the same name there: it may be what the question describes", () => {
    const q = "When will the new Thames tunnel open?";
    assert.deepEqual(
      keptPages(q, [
        {
          id: "1",
          name: "https://news.example/silvertown-tunnel",
          text: "The Silvertown Tunnel is due to open on 7 April 2025.",
        },
        {
          id: "2",
          name: "https://www.roads.example/silvertown",
          text: "The Silvertown Tunnel opens to traffic in April 2025.",
        },
      ]),
      ["1", "2"],
    );
  });
  await t.step("a page that names the question only in headings is dropped", () => {
    assert.deepEqual(
      keptPages("When does the open-air pool open this season?", [
        src("1", "Open-air pool season\nMo–Fr 9:00–20:00\nBuy a season ticket online"),
      ]),
      [],
    );
  });
});

Deno.test("trimChromeField() keeps a price or a field under a naming heading", () => {
  const terms = queryTerms("How much does the Aurora TKL 87 cost?", []);
  const unit = (text: string, softBefore: string | null) => ({
    sourceId: "1",
    source: 0,
    text,
    fields: true,
    junkBefore: true,
    junkAfter: false,
    soft: false,
    hardBefore: softBefore === null,
    softBefore,
    listLike: false,
    code: false,
  });
  const price = "Price: $64.99\nLayout: 87 keys";
  assert.equal(trimChromeField(unit(price, "Add to cart"), terms).text, price);
  const hours = "Mon–Fri: 9–17\nSat: 10–14";
  const q = queryTerms("Opening hours of the museum?", []);
  assert.equal(trimChromeField(unit(hours, "Opening hours"), q).text, hours);
  assert.equal(trimChromeField(unit(hours, "Add to cart"), q).text, "Sat: 10–14");
});

Deno.test("selectContext(): a spec block under the product's title is its section", () => {
  const text = [
    "Home > Smartphones > Fairphone",
    "Fairphone 5 specificaties",
    "Gewicht: 212 gram",
    "Scherm: 6,46 inch OLED",
    "Accu: 4200 mAh, vervangbaar",
    "In winkelwagen",
  ].join("\n");
  const r = selectContext([src("1", text)], "Hoeveel weegt de Fairphone 5?", [], 10_000, 1000);
  assert.ok(r.kept.some((k) => k.text.includes("Gewicht: 212 gram")));
});

Deno.test("queryTerms() and matching read words without their accents", () => {
  assert.deepEqual(queryTerms("Quando começa o horário de verão?", []).map((t) => t.term), [
    "comeca",
    "horario",
    "verao",
  ]);
  // A page written without accents still matches.
  const r = selectContext(
    [src("1", "O horario de verao comeca no domingo, 30 de marco.")],
    "Quando começa o horário de verão?",
    [],
    10_000,
    1000,
  );
  assert.equal(r.kept.length, 1);
});

Deno.test("selectContext(): a word two result addresses carry is the search's subject", () => {
  const q = "hvad koster et årskort til tivoli? vil give min søster et";
  const sources = [
    at("1", "https://www.tivoli.dk/da/billetter/aarskort", "Et årskort koster 495 kr. i 2025."),
    at("2", "https://www.rejser.dk/tivoli-aarskort-pris", "Tivoli sælger årskort fra 495 kr."),
    at("3", "https://www.legoland.dk/billetter/saesonkort", "Et sæsonkort koster 899 kr."),
  ];
  assert.deepEqual(keptPages(q, sources), ["1", "2"]);
  // One address is no subject yet: the Legoland page stays.
  assert.deepEqual(keptPages(q, [sources[0], sources[2]]), ["1", "3"]);
});

Deno.test("selectContext(): a quantity line that matches the question is kept without a heading", () => {
  const page = [
    "Focaccia: the original recipe",
    "The focaccia is about two centimetres high, soft inside and crisp below.",
    "For a 30x40 tray",
    "500 g flour (W 260)",
    "350 ml water at room temperature",
    "10 g fine salt",
    "7 g dry yeast (or 20 g of fresh yeast).",
    "3 hours 2024 water rising time",
  ].join("\n");
  const texts = keptOf(page, "focaccia, how much water and yeast for 500 g of flour?").join("\n");
  assert.ok(texts.includes("350 ml water at room temperature"), texts);
  // A line the question does not ask about stays out; a year makes a line a date or a title.
  assert.ok(!texts.includes("10 g fine salt"), texts);
  assert.ok(!texts.includes("3 hours 2024"), texts);
});

Deno.test("selectContext(): the first line under a heading comes with the seed that goes on about it", () => {
  const page = [
    "Vortexa S7 review: a smart robot at a fair price",
    "Cleaning",
    "On hard floors the S7 picks up almost everything on its first pass.",
    "Noise",
    "In standard mode the robot measured 64 dB at one metre, in max mode 71 dB.",
    "In quiet mode the robot is about 56 dB, quiet enough for an evening run.",
    "Advertisement",
  ].join("\n");
  const texts = keptOf(page, "how loud is the vortexa, can it run in the evening?");
  assert.ok(texts.some((t) => t.startsWith("In standard mode")), texts.join("\n"));
  // A line under a heading that the seed does not go on about stays out.
  assert.ok(!texts.some((t) => t.startsWith("On hard floors")), texts.join("\n"));
});

Deno.test("selectContext(): a table that ends a chunk is no footer", () => {
  const page = [
    "Aquatherm boiler error codes: what F28 and the others mean",
    "Updated 12/10/2023",
    "| Code | Meaning | What to do |",
    "| F22 | Low water pressure | Refill to 1–1.5 bar |",
    "| F28 | Ignition failure at start-up | Check the gas supply and reset |",
    "| F29 | Flame lost while running | Check the gas supply and the flue |",
    "| F61 | Gas valve control fault | Call a heating engineer |",
    "| F75 | Pressure sensor fault | Bleed the system and check the pump |",
    "© 2023 Boiler Help",
  ].join("\n");
  const texts = keptOf(page, "F28 on my Aquatherm boiler, what is it?").join("\n");
  assert.ok(texts.includes("| F28 | Ignition failure at start-up |"), texts);
});
