/** Tests for src/rag/text.ts: words, accent folding, language, stopword density, sentences. */
import assert from "node:assert/strict";
import {
  detectLanguage,
  elide,
  endsWithAbbreviation,
  foldWord,
  isAnyStopword,
  isCjk,
  isHangul,
  sentences,
  stopwordDensity,
  words,
} from "../../src/rag/text.ts";

Deno.test("words() segments spaced and CJK text into lower-cased words", async (t) => {
  const rows: [string, string, string[]][] = [
    ["punctuation is not a word", "Hello, World!", ["hello", "world"]],
    ["decimals stay whole", "It costs 36.10 euros", ["it", "costs", "36.10", "euros"]],
    ["Chinese splits without spaces", "电池容量", ["电池", "容量"]],
    ["thousands and decimal commas stay whole", "29.000 Zuschauer, etwa 4,1", [
      "29.000",
      "zuschauer",
      "etwa",
      "4,1",
    ]],
    ["an apostrophe inside a word stays", "Don't stop l’été", ["don't", "stop", "l’été"]],
    ["a clock time splits at its colon", "at 10:45", ["at", "10", "45"]],
    ["a dot between letters splits", "d.items sources.list", ["d", "items", "sources", "list"]],
    ["a hyphen splits", "git-reset", ["git", "reset"]],
    ["a superscript is no digit", "140 m²", ["140", "m"]],
    ["an Armenian question mark inside a word goes", "Ե՞րբ է", ["երբ", "է"]],
    ["Cyrillic and Greek are spaced scripts", "Байкал λίμνη", ["байкал", "λίμνη"]],
    ["a mixed line goes through the segmenter", "Python 中如何读取", [
      "python",
      "中",
      "如何",
      "读",
      "取",
    ]],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`words(): ${name}`, () => assert.deepEqual(words(text), expected));
  }
});

Deno.test("elide() takes what an apostrophe glues off a Latin-script word", async (t) => {
  const rows: [string, string, string][] = [
    ["a French article", "l'altezza", "altezza"],
    ["a typographic apostrophe", "l’été", "été"],
    ["an elision ending in qu", "lorsqu'elle", "elle"],
    ["an Italian article ending in ll", "dell'impasto", "impasto"],
    ["an English possessive", "landlord's", "landlord"],
    ["a Turkish case ending", "istanbul'da", "istanbul"],
    ["an Irish O' goes too (both sides alike)", "o'sullivan", "sullivan"],
    ["two long parts stay", "rock'n'roll", "rock'n'roll"],
    ["Ukrainian keeps its apostrophe", "м'ясо", "м'ясо"],
    ["a plain word stays", "aspirateur", "aspirateur"],
    ["a one-letter rest is what is left", "jusqu'à", "à"],
    ["a dotted capital's mark is part of the word", "i̇stanbul'da", "i̇stanbul"],
  ];
  for (const [name, word, expected] of rows) {
    await t.step(`elide(): ${name}`, () => assert.equal(elide(word), expected));
  }
});

Deno.test("detectLanguage() picks the language whose stopwords hit most", async (t) => {
  const rows: [string, string][] = [
    ["Der Rhein ist ein Strom und er mündet in die Nordsee.", "de"],
    ["Le mont Ventoux est un sommet du sud de la France.", "fr"],
    ["El aeropuerto cerró el año con más pasajeros que nunca.", "es"],
    ["Il Colosseo fu costruito sotto gli imperatori e poteva contenere molti spettatori.", "it"],
    ["A dose máxima diária não deve passar de quatro gramas.", "pt"],
    ["Vul het reservoir met water en druk op de knop.", "nl"],
    ["Байкал — самое глубокое озеро на планете и оно очень старое.", "ru"],
    ["The tower was completed in March and it is very tall.", "en"],
    ["东京的天气很好。", "zh"],
    ["東京スカイツリーの高さは634メートルです。", "ja"],
    // Languages beyond the first ten: every stopwords-iso list is read.
    ["Riksbanken sänker räntan och den nya räntan gäller från februari.", "sv"],
    ["Remont potrwa około pięciu miesięcy i będzie też objazd dla autobusów.", "pl"],
    ["Çorbanın kıvamı için mercimeğin suya oranı çok önemli ve bu yüzden dikkat edin.", "tr"],
    ["노이즈 캔슬링을 켜면 이어버드 단독으로 최대 8시간입니다.", "ko"], // by script
  ];
  for (const [text, lang] of rows) {
    await t.step(`detectLanguage() → ${lang}`, () => {
      assert.equal(detectLanguage(words(text), text), lang);
    });
  }
});

Deno.test("isCjk() and stopwordDensity()", () => {
  assert.equal(isCjk("小米手环9的电池"), true);
  assert.equal(isCjk("Battery: 50 Wh"), false);
  assert.equal(stopwordDensity([], "en"), 0);
  assert.equal(stopwordDensity(["the", "tower", "is", "tall"], "en"), 0.5);
});

Deno.test("isAnyStopword() knows the stopwords of every language", async (t) => {
  const rows: [string, boolean][] = [
    ["the", true],
    ["una", true],
    ["und", true],
    ["это", true],
    ["的", true],
    ["tower", false],
    ["gazpacho", false],
  ];
  for (const [word, expected] of rows) {
    await t.step(`isAnyStopword("${word}") = ${expected}`, () => {
      assert.equal(isAnyStopword(word), expected);
    });
  }
});

Deno.test("sentences() respects abbreviations, decimals and CJK punctuation", async (t) => {
  const rows: [string, string, string[]][] = [
    ["two sentences", "It opened in 2012. It is tall.", ["It opened in 2012.", "It is tall."]],
    ["a decimal", "It weighs 11.7 kg. Good.", ["It weighs 11.7 kg.", "Good."]],
    [
      "an abbreviation before a capital",
      "Revised by Dr. Laura Gomez. Done.",
      ["Revised by Dr. Laura Gomez.", "Done."],
    ],
    ["a German abbreviation", "Das gilt z.B. für Sachsen. Ja.", [
      "Das gilt z.B. für Sachsen.",
      "Ja.",
    ]],
    ["CJK full stops", "高さは634メートルです。開業しました。", [
      "高さは634メートルです。",
      "開業しました。",
    ]],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`sentences(): ${name}`, () => {
      const pieces = sentences(text);
      assert.deepEqual(pieces.map((p) => p.trim()), expected);
      assert.equal(pieces.join(""), text);
    });
  }
});

Deno.test("sentences() reads a line break as a space and keeps it", () => {
  const text = "The NPU has\nthree cores. It is\r\nfast.";
  assert.deepEqual(sentences(text), ["The NPU has\nthree cores. ", "It is\r\nfast."]);
});

Deno.test("endsWithAbbreviation() looks at the last word only", async (t) => {
  const rows: [string, boolean][] = [
    ["Revised by Dr.", true],
    ["Das gilt z.B.", true],
    ["(Min.", true],
    ["It weighs 11.7 kg.", false],
    ["The end.", false],
    ["Dr. Gomez", false],
    [`${"a.".repeat(12)}`, true],
    [`${"a.".repeat(13)}`, false], // longer than any abbreviation
    ["", false],
  ];
  for (const [text, expected] of rows) {
    await t.step(`endsWithAbbreviation("${text}") = ${expected}`, () => {
      assert.equal(endsWithAbbreviation(text), expected);
    });
  }
});

Deno.test("isHangul() tells mostly Korean text", () => {
  assert.equal(isHangul("소니 WF-1000XM5 배터리"), true);
  assert.equal(isHangul("Sony WF-1000XM5 battery 배터리"), false);
});

Deno.test("foldWord() takes accents off letters, not off kana or Hangul", async (t) => {
  const rows: [string, string][] = [
    ["horário", "horario"],
    ["würzburg", "wurzburg"],
    ["ёлка", "елка"],
    ["αθήνα", "αθηνα"],
    ["plain", "plain"],
    ["が", "が"],
    ["시간은", "시간은"],
    ["d'écoute", "d'ecoute"],
  ];
  for (const [word, expected] of rows) {
    await t.step(`foldWord(${word}) = ${expected}`, () => assert.equal(foldWord(word), expected));
  }
});
