/**
 * Tests for src/tasks/detect.ts: every Open WebUI task fixture is recognised as its kind, edited
 * and older template variants still are, and ordinary chat (including users who ask for a title
 * in prose, paste JSON or type a `### Task:` heading), RAG prompts and other Open WebUI
 * templates are not.
 */
import assert from "node:assert/strict";
import {
  classifyTaskText,
  detectTask,
  instructionText,
  type TaskKind,
} from "../../src/tasks/detect.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";
import {
  assistant,
  autocompleteTask,
  FIXTURES,
  HAS_FIXTURES,
  historyLines,
  plainTitleTask,
  queriesTask,
  system,
  titleTask,
  user,
} from "./fixtures.ts";

const HISTORY = `<chat_history>\n${
  historyLines("What is the capital of France?", "The capital of France is Paris.")
}\n</chat_history>`;

Deno.test("detectTask() recognises every Open WebUI task fixture", async (t) => {
  const rows: [string, ChatMessage[], TaskKind][] = [
    ["task_title.json", FIXTURES.title, "title"],
    ["task_tags.json", FIXTURES.tags, "tags"],
    ["task_follow_ups.json", FIXTURES.follow_ups, "follow_ups"],
    ["task_search_queries.json", FIXTURES.queries, "queries"],
  ];
  for (const [name, messages, kind] of rows) {
    await t.step({
      name: `${name} is ${kind}`,
      ignore: !HAS_FIXTURES,
      fn: () => assert.equal(detectTask(messages), kind),
    });
  }
});

Deno.test("detectTask() recognises edited and older template variants", async (t) => {
  const fixtureText = (messages: ChatMessage[]): string => messages[0].content;
  // `ignore` marks a row built from a fixture: its step is ignored when the fixtures are absent.
  const rows: [string, ChatMessage[], TaskKind, ignore?: boolean][] = [
    ["title template with an emoji (older default)", titleTask("hi", "hello"), "title"],
    ["title template without emoji (newer default)", plainTitleTask("hi", "hello"), "title"],
    [
      "lower-case heading, extra guidelines",
      [user(
        "### task:\nWrite a short title for this conversation.\n### Guidelines:\n- Be brief.\n" +
          '- Use the user\'s language.\n- Extra rule.\n### Output:\n{"title": "..."}\n' + HISTORY,
      )],
      "title",
    ],
    [
      "different heading level and spacing",
      [user('## Task :\nName this chat.\nReturn JSON: { "title": "…" }\n' + HISTORY)],
      "title",
    ],
    [
      "no `### Task:` but <chat_history> and the output key",
      [user('Reply with {"title": "<short title>"} for:\n' + HISTORY)],
      "title",
    ],
    [
      "no output key but <chat_history> and the phrase",
      [user("Create a 3-5 word title for the chat history below.\n" + HISTORY)],
      "title",
    ],
    [
      "older title template (Create a concise … title)",
      [user(
        "Create a concise, 3-5 word title with an emoji as a title for the chat history, in the " +
          "given language.\n" + HISTORY,
      )],
      "title",
    ],
    [
      "reworded tags template",
      [user(
        "### TASK:\nPick up to three tags for this chat.\n### Output:\n" +
          '{ "tags": ["a", "b"] }\n' + HISTORY,
      )],
      "tags",
    ],
    [
      "tags template with upper-case key and single quotes",
      [user("### Task:\nGenerate tags categorizing the chat.\nJSON: {'TAGS': ['x']}\n" + HISTORY)],
      "tags",
    ],
    [
      "follow-ups template asking for a JSON array (older default)",
      [user(
        "### Task:\nSuggest 3-5 relevant follow-up questions or prompts.\n" +
          "- Response must be a JSON array of strings.\n" + HISTORY,
      )],
      "follow_ups",
    ],
    [
      "follow-ups key without hyphen in the prose",
      [user('### Task:\nSuggest followups.\n{ "follow_ups": ["Q?"] }\n' + HISTORY)],
      "follow_ups",
    ],
    ["queries template built by the test helper", queriesTask("How do NPUs work?"), "queries"],
    [
      "older queries template (whether a search is necessary)",
      [user(
        "### Task:\nBased on the chat history, determine whether a search is necessary, and if " +
          'so, generate 1-3 broad search queries.\n### Output:\n{ "queries": [] }\n' + HISTORY,
      )],
      "queries",
    ],
    [
      "retrieval queries template (same template, type retrieval)",
      HAS_FIXTURES
        ? [user(fixtureText(FIXTURES.queries).replace("search queries", "queries"))]
        : [],
      "queries",
      !HAS_FIXTURES,
    ],
    [
      "autocomplete, General",
      autocompleteTask("General", "The best way to", "hi", "hello"),
      "autocomplete",
    ],
    [
      "autocomplete, search query",
      autocompleteTask("search query", "orange pi 5 plus", "hi", "hello"),
      "autocomplete",
    ],
    [
      "autocomplete with the text block near the end and no chat history",
      [user(
        "### Task:\nYou are an autocompletion system. Continue the text in `<text>`.\n" +
          'Respond only in JSON format: `{ "text": "<your_completion>" }`.\n' +
          "<type>General</type>\n<text>Once upon a</text>",
      )],
      "autocomplete",
    ],
    [
      "template in a system message, conversation as turns",
      [
        system(
          "### Task:\nGenerate a concise title for the conversation.\n" +
            '### Output:\nJSON format: { "title": "your concise title here" }',
        ),
        user("What is the capital of France?"),
      ],
      "title",
    ],
    [
      "the task is the last user message after other turns",
      [user("earlier"), assistant("reply"), ...titleTask("hi", "hello")],
      "title",
    ],
    [
      "user text inside the history does not change the kind",
      titleTask("Suggest 3 follow-up questions and search queries, as tags", "ok"),
      "title",
    ],
  ];
  for (const [name, messages, kind, ignore] of rows) {
    await t.step({ name, ignore, fn: () => assert.equal(detectTask(messages), kind) });
  }
});

Deno.test("detectTask() returns null for ordinary chat, RAG and other templates", async (t) => {
  // `ignore` marks a row built from a fixture: its step is ignored when the fixtures are absent.
  const rows: [string, ChatMessage[], ignore?: boolean][] = [
    ["no messages", []],
    ["chat_followup.json", FIXTURES.chatFollowup, !HAS_FIXTURES],
    ["chat_stream.json", FIXTURES.chatStream, !HAS_FIXTURES],
    [
      "rag_web_search.json (### Task: Respond to the user query …)",
      FIXTURES.rag,
      !HAS_FIXTURES,
    ],
    ["plain question", [user("What is the capital of France?")]],
    ["user asks for a title", [user("Give me a title for my essay about climate change.")]],
    ["user asks for tags", [user("Suggest some tags for my blog post on sourdough bread.")]],
    [
      "user asks for search queries and follow-up questions",
      [user("What search queries would you use? Any follow-up questions?")],
    ],
    ["user pastes JSON with a title key", [
      user('Fix this JSON: {"title": "Hello", "tags": [1,]}'),
    ]],
    [
      "user pastes a task-looking JSON object",
      [user('{ "title": "My essay", "tags": ["a"], "follow_ups": [], "queries": [] }')],
    ],
    [
      "user types a ### Task: heading and asks for a title in prose",
      [user("### Task:\nWrite a catchy title for my essay on whales.")],
    ],
    [
      "user types a ### Task: heading and pastes JSON without asking for it",
      [user('### Task:\nValidate this config: {"tags": ["x"]}')],
    ],
    [
      "RAG prompt whose question mentions a title and a JSON key",
      [user(
        "### Task:\nRespond to the user query using the provided context.\n<context>\n" +
          '<source id="1">Titles matter.</source>\n</context>\n' +
          'Give me a title, answer as {"title": "..."}',
      )],
    ],
    [
      "RAG context in the system message",
      [
        system(
          "You are helpful.\n### Task:\nRespond to the user query using the provided context.\n" +
            '<context><source id="1" name="x">{"title": "a"}</source></context>',
        ),
        user("What does the source say about titles?"),
      ],
    ],
    [
      "image prompt template (another Open WebUI task, not handled)",
      [user(
        "### Task:\nGenerate a detailed prompt for an image generation task.\n### Output:\n" +
          '{ "prompt": "Your detailed description here." }\n' + HISTORY,
      )],
    ],
    [
      "tools function-calling template",
      [user(
        'Available Tools: []\nReturn only the JSON object: { "tool_calls": [] }\nQuery: hi',
      )],
    ],
    [
      "a persona system prompt that mentions titles, with ordinary chat",
      [system("You are an editor. Suggest a good title when asked."), user("hi")],
    ],
    [
      "a task template in an earlier user message only",
      [...titleTask("hi", "hello"), assistant('{"title":"Hi"}'), user("Thanks, and now?")],
    ],
  ];
  for (const [name, messages, ignore] of rows) {
    await t.step({ name, ignore, fn: () => assert.equal(detectTask(messages), null) });
  }
});

Deno.test("classifyTaskText() asks more of a system message", async (t) => {
  const rows: [string, string, boolean, TaskKind | null][] = [
    ["history + phrase, user", "Title this chat.\n" + HISTORY, false, "title"],
    ["history + phrase, system", "Title this chat.\n" + HISTORY, true, null],
    ["history + key + phrase, system", 'Title it: {"title": ""}\n' + HISTORY, true, "title"],
  ];
  for (const [name, text, fromSystem, kind] of rows) {
    await t.step(name, () => assert.equal(classifyTaskText(text, fromSystem), kind));
  }
});

Deno.test("instructionText() cuts the inserted blocks out", () => {
  const text = 'A<chat_history>\nUSER: "title":\n</chat_history>B<text>x</text>C<type>y</type>D';
  assert.equal(instructionText(text).replace(/\s/g, ""), "ABCD");
  assert.equal(instructionText("A<chat_history>\nUSER: open").trim(), "A");
});
