/**
 * Tests for src/rag/detect.ts: both placements × the current, legacy and plain templates,
 * question recovery, id assignment, the system text kept outside the RAG block, and messages
 * that mention `<source` without carrying retrieved context; the index scanners under them.
 */
import assert from "node:assert/strict";
import type { ChatMessage } from "../../src/chat/messages.ts";
import {
  detectRag,
  innerElement,
  parseElements,
  type RagInput,
  referenceHeader,
} from "../../src/rag/detect.ts";

const sys = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const asst = (content: string): ChatMessage => ({ role: "assistant", content });

/** The start of Open WebUI's current template; it names `<source>` tags in its own prose. */
const CURRENT_TASK = "### Task:\nRespond to the user query using the provided context, " +
  "incorporating inline citations in the format [id] **only when the <source> tag includes an " +
  'explicit id attribute** (e.g., <source id="1">).\n\n### Guidelines:\n' +
  "- Do not use XML tags in your response.\n\n";
/** The start of Open WebUI's legacy (≤ 0.5) template. */
const LEGACY_TASK = "### Task:\nRespond to the user query using the provided context, " +
  "incorporating inline citations in the format [source_id] **only when the <source_id> tag " +
  "is explicitly provided** in the context.\n\n";

const CURRENT_CONTEXT = "<context>\n" +
  '<source id="1" name="https://a.example/x">Alpha text.</source>\n' +
  '<source id="2" name="b.pdf">Beta text.</source>\n' +
  "</context>\n";
const LEGACY_CONTEXT = "<context>\n" +
  "<source><source_id>1</source_id><source_context>Alpha text.</source_context></source>\n" +
  "<source><source_id>2</source_id><source_context>Beta text.</source_context></source>\n" +
  "</context>\n";
const Q = "How fast is the NPU?";

const TWO = [
  { id: "1", name: "https://a.example/x", text: "Alpha text." },
  { id: "2", name: "b.pdf", text: "Beta text." },
];
const TWO_UNNAMED = TWO.map((s) => ({ ...s, name: null }));

Deno.test("detectRag() extracts retrieved context", async (t) => {
  const rows: { name: string; messages: ChatMessage[]; expected: RagInput }[] = [
    {
      name: "current template prepended to the user message",
      messages: [sys("Be brief."), user(`${CURRENT_TASK}${CURRENT_CONTEXT}${Q}`)],
      expected: {
        placement: "user",
        messageIndex: 1,
        template: "current",
        instructions: "",
        question: Q,
        sources: TWO,
        rest: "",
      },
    },
    {
      name: "legacy template prepended to the user message (question from <user_query>)",
      messages: [
        user(`${LEGACY_TASK}${LEGACY_CONTEXT}\n<user_query>\n${Q}\n</user_query>\n${Q}`),
      ],
      expected: {
        placement: "user",
        messageIndex: 0,
        template: "legacy",
        instructions: "",
        question: Q,
        sources: TWO_UNNAMED,
        rest: "",
      },
    },
    {
      name: "current template appended to the system message",
      messages: [sys(`Be brief.\n${CURRENT_TASK}${CURRENT_CONTEXT}`), asst("Hi"), user(` ${Q} `)],
      expected: {
        placement: "system",
        messageIndex: 0,
        template: "current",
        instructions: "Be brief.",
        question: Q,
        sources: TWO,
        rest: "Be brief.",
      },
    },
    {
      name: "legacy template appended to the system message (question from the last user turn)",
      messages: [
        sys(`Be brief.\n${LEGACY_TASK}${LEGACY_CONTEXT}\n<user_query>\nold\n</user_query>`),
        user(Q),
      ],
      expected: {
        placement: "system",
        messageIndex: 0,
        template: "legacy",
        instructions: "Be brief.",
        question: Q,
        sources: TWO_UNNAMED,
        rest: "Be brief.",
      },
    },
    {
      name: "system placement without any user message: the legacy <user_query>",
      messages: [sys(`${LEGACY_TASK}${LEGACY_CONTEXT}<user_query>${Q}</user_query>`)],
      expected: {
        placement: "system",
        messageIndex: 0,
        template: "legacy",
        instructions: "",
        question: Q,
        sources: TWO_UNNAMED,
        rest: "",
      },
    },
    {
      name: "plain {{CONTEXT}} template in the system message",
      messages: [
        sys(
          'You are a NPU expert.\n<source id="1" name="https://a.example/x">Alpha text.</source>' +
            '\n<source id="2" name="b.pdf">Beta text.</source>\n',
        ),
        user(Q),
      ],
      expected: {
        placement: "system",
        messageIndex: 0,
        template: "plain",
        instructions: "You are a NPU expert.",
        question: Q,
        sources: TWO,
        rest: "You are a NPU expert.",
      },
    },
    {
      name: "plain {{CONTEXT}} template prepended to the user message",
      messages: [
        user(
          '<source id="1" name="https://a.example/x">Alpha text.</source>\n' +
            `<source id='2' name=b.pdf>Beta text.</source>\n${Q}`,
        ),
      ],
      expected: {
        placement: "user",
        messageIndex: 0,
        template: "plain",
        instructions: "",
        question: Q,
        sources: TWO,
        rest: "",
      },
    },
    {
      name: "a system message with 'reference information:' and text after it",
      messages: [
        sys("Answer briefly.\nHere is some reference information:\nThe NPU has 6 TOPS."),
        user(Q),
      ],
      expected: {
        placement: "system",
        messageIndex: 0,
        template: "plain",
        instructions: "Answer briefly.",
        question: Q,
        sources: [{ id: "1", name: null, text: "The NPU has 6 TOPS." }],
        rest: "Answer briefly.",
      },
    },
    {
      name: "a custom template's own instructions are kept",
      messages: [user(`Answer in French.\n${CURRENT_CONTEXT}${Q}`)],
      expected: {
        placement: "user",
        messageIndex: 0,
        template: "current",
        instructions: "Answer in French.",
        question: Q,
        sources: TWO,
        rest: "",
      },
    },
    {
      name: "the last user message wins over a system message",
      messages: [sys(`S\n${CURRENT_CONTEXT}`), user(`${CURRENT_CONTEXT}${Q}`)],
      expected: {
        placement: "user",
        messageIndex: 1,
        template: "current",
        instructions: "",
        question: Q,
        sources: TWO,
        rest: "",
      },
    },
    {
      name: "markers without a question give an empty question",
      messages: [user(`${CURRENT_TASK}${CURRENT_CONTEXT}`)],
      expected: {
        placement: "user",
        messageIndex: 0,
        template: "current",
        instructions: "",
        question: "",
        sources: TWO,
        rest: "",
      },
    },
  ];
  for (const row of rows) {
    await t.step(`detectRag(): ${row.name}`, () => {
      assert.deepEqual(detectRag(row.messages), row.expected);
    });
  }
});

Deno.test("detectRag() assigns ids to sources without one", async (t) => {
  const ids = (context: string): string[] =>
    detectRag([user(`<context>\n${context}\n</context>\nq`)])?.sources.map((s) => s.id) ?? [];
  const rows: [string, string, string[]][] = [
    ["no ids: 1, 2, 3 in order", "<source>a</source><source>b</source><source>c</source>", [
      "1",
      "2",
      "3",
    ]],
    [
      "sequential ids skip the explicit ones",
      '<source id="2">a</source><source>b</source><source>c</source>',
      ["2", "1", "3"],
    ],
    [
      "chunks of one document share its id",
      '<source id="1">a</source><source id="1">b</source><source id="2">c</source>',
      ["1", "1", "2"],
    ],
    [
      "legacy sources without <source_id>",
      "<source><source_context>a</source_context></source>" +
      "<source><source_context>b</source_context></source>",
      ["1", "2"],
    ],
  ];
  for (const [name, context, expected] of rows) {
    await t.step(`detectRag(): ${name}`, () => assert.deepEqual(ids(context), expected));
  }
});

Deno.test("detectRag() is null for messages that only mention sources", async (t) => {
  const rows: [string, ChatMessage[]][] = [
    ["no messages", []],
    ["plain chat", [sys("Be brief."), user("Hi"), asst("Hello"), user("How are you?")]],
    ["a prose mention of the <source> tag", [user("What does the <source> tag do in HTML5?")]],
    [
      "an HTML <source> element (void, never closed)",
      [user('<video><source src="a.mp4" type="video/mp4"></video> why no sound?')],
    ],
    [
      "a complete element quoted mid-message, without <context>",
      [user('Why does Open WebUI send <source id="1">text</source> to my model?')],
    ],
    ["an unclosed opening tag", [user('<source id="1" name="x">text\nWhat is this?')]],
    ["<context> without sources", [user("<context>\nsome text\n</context>\nWhat is this?")]],
    ["<context> never closed", [user('<context>\n<source id="1">a</source>\nq')]],
    [
      "a system prompt using a source element without an id as an example",
      [sys("Cite as <source>name</source> when you quote."), user("q")],
    ],
    [
      "a system prompt mentioning reference information in passing",
      [sys("You can ask me for reference information about trains."), user("q")],
    ],
    [
      "context in an earlier user message only",
      [user(`${CURRENT_CONTEXT}q1`), asst("a1"), user("q2")],
    ],
    [
      "context in an assistant message",
      [user("q1"), asst(`${CURRENT_CONTEXT}a1`), user("q2")],
    ],
  ];
  for (const [name, messages] of rows) {
    await t.step(`detectRag() → null for ${name}`, () => {
      assert.equal(detectRag(messages), null);
    });
  }
});

Deno.test("parseElements() finds complete <source> elements only", async (t) => {
  const rows: [string, string, [string | null, string | null, string][]][] = [
    ["one element with attributes", '<source id="1" name="a">Alpha.</source>', [[
      "1",
      "a",
      "Alpha.",
    ]]],
    ["attribute quotes and case", "<SOURCE ID='2' name=b>Beta.</Source>", [["2", "b", "Beta."]]],
    ["a bare tag", "<source>Gamma.</source>", [[null, null, "Gamma."]]],
    [
      "a legacy element takes its id and text from inner tags",
      "<source><source_id>3</source_id><source_context>Delta.</source_context></source>",
      [["3", null, "Delta."]],
    ],
    [
      "an unclosed element before a closed one is skipped",
      '<source id="1">open <source id="2">Beta.</source>',
      [["2", null, "Beta."]],
    ],
    ["a void <source src> is not an element", '<video><source src="a.mp4"></video>', []],
    ["a tag holding '<' is not a tag", '<source id="1" <b>x</source>', []],
    ["a tag without '>' is not a tag", '<source id="1" x', []],
    ["an opening without a closing", '<source id="1">text', []],
    ["<source_id> alone is no opening", "<source_id>1</source_id>", []],
    [
      "two in a row",
      '<source id="1">A.</source>\n<source id="2">B.</source>',
      [["1", null, "A."], ["2", null, "B."]],
    ],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`parseElements(): ${name}`, () => {
      assert.deepEqual(
        parseElements(text).map((e) => [e.source.id, e.source.name, e.source.text]),
        expected,
      );
    });
  }
  await t.step("parseElements(): offsets span the element", () => {
    const text = 'x <source id="1">A.</source> y';
    const [e] = parseElements(text);
    assert.equal(text.slice(e.start, e.end), '<source id="1">A.</source>');
  });
});

Deno.test("innerElement() finds the first <tag>…</tag>, case-insensitively", async (t) => {
  const rows: [string, string, string | null][] = [
    ["a <user_query>Q?</user_query> b", "user_query", "Q?"],
    ["<USER_QUERY> Q </User_Query>", "user_query", " Q "],
    ["<user_query>one</user_query><user_query>two</user_query>", "user_query", "one"],
    ["<user_query>never closed", "user_query", null],
    ["</user_query> before <user_query>", "user_query", null],
    ["nothing here", "user_query", null],
  ];
  for (const [text, tag, expected] of rows) {
    await t.step(`innerElement("${text}") → ${expected}`, () => {
      assert.equal(innerElement(text, tag)?.content ?? null, expected);
    });
  }
  await t.step("innerElement(): offsets span the element", () => {
    const text = "a <b>x</b> c";
    const e = innerElement(text, "b")!;
    assert.equal(text.slice(e.start, e.end), "<b>x</b>");
  });
});

Deno.test("referenceHeader() finds the first 'reference information' line ending in ':'", async (t) => {
  const rows: [string, string | null][] = [
    ["Answer.\nHere is the reference information:\nText.", "Here is the reference information:"],
    ["Reference Information:  \t\r\nText.", "Reference Information:  \t"],
    ["Use the reference information: below", null], // the colon does not end the line
    ["You can ask me for reference information.", null],
    ["Some reference informational text:\nx", null], // a word boundary after "information"
    ["first:\nsecond reference information:\nx", "second reference information:"],
    ["", null],
  ];
  for (const [text, expected] of rows) {
    await t.step(`referenceHeader(${JSON.stringify(text)}) → ${expected}`, () => {
      const h = referenceHeader(text);
      assert.equal(h === null ? null : text.slice(h.start, h.end), expected);
    });
  }
});
