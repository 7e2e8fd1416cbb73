/**
 * Open WebUI request fixtures (`shared/fixtures/openwebui` beside the clone) as ChatMessage
 * lists, and small builders for task requests shaped like Open WebUI's. The fixtures are read at
 * run time (tests/support/fixtures.ts); when they are absent every list here is empty and the
 * tests that replay them are ignored with `ignore: !HAS_FIXTURES`.
 */
import type { ChatMessage, Role } from "../../src/chat/messages.ts";
import { type FixtureRequest, HAS_FIXTURES, loadFixture } from "../support/fixtures.ts";

export { HAS_FIXTURES };

/** A fixture's messages, list-of-parts content joined the way the HTTP layer does. */
function messagesOf(body: FixtureRequest): ChatMessage[] {
  return body.messages.map((m) => ({
    role: m.role as Role,
    content: typeof m.content === "string"
      ? m.content
      : Array.isArray(m.content)
      ? m.content.map((p: { text?: string }) => p.text ?? "").join("\n")
      : "",
  }));
}

/** The named fixture's messages, or an empty list when the fixtures are absent. */
function fixture(name: string): ChatMessage[] {
  return HAS_FIXTURES ? messagesOf(loadFixture(name)) : [];
}

/** Empty lists when the fixtures are absent: only use them in tests or steps ignored then. */
export const FIXTURES = {
  title: fixture("task_title.json"),
  tags: fixture("task_tags.json"),
  follow_ups: fixture("task_follow_ups.json"),
  queries: fixture("task_search_queries.json"),
  chatFollowup: fixture("chat_followup.json"),
  chatStream: fixture("chat_stream.json"),
  rag: fixture("rag_web_search.json"),
};

export const user = (content: string): ChatMessage => ({ role: "user", content });
export const system = (content: string): ChatMessage => ({ role: "system", content });
export const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

/** `<chat_history>` lines from alternating user/assistant contents. */
export function historyLines(...turns: string[]): string {
  return turns.map((t, i) => `${i % 2 === 0 ? "USER" : "ASSISTANT"}: ${t}`).join("\n");
}

/** A title task as Open WebUI's older default (asks for an emoji) sends it. */
export function titleTask(...turns: string[]): ChatMessage[] {
  return [user(
    "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n" +
      "### Guidelines:\n- Write the title in the chat's primary language.\n" +
      '### Output:\nJSON format: { "title": "your concise title here" }\n' +
      `### Chat History:\n<chat_history>\n${historyLines(...turns)}\n</chat_history>`,
  )];
}

/** A title task as Open WebUI's newer default (no emoji) sends it. */
export function plainTitleTask(...turns: string[]): ChatMessage[] {
  return [user(
    "### Task:\nGenerate a concise title summarizing the chat history.\n" +
      "### Guidelines:\n- Do not use emojis, quotation marks, or special formatting.\n" +
      '### Output:\nJSON format: { "title": "your concise title here" }\n' +
      `### Chat History:\n<chat_history>\n${historyLines(...turns)}\n</chat_history>`,
  )];
}

/** A search-query task with the given history. */
export function queriesTask(...turns: string[]): ChatMessage[] {
  return [user(
    "### Task:\nAnalyze the chat history to determine the necessity of generating search " +
      "queries, in the given language.\n### Output:\nStrictly return in JSON format:\n" +
      '{\n  "queries": ["query1", "query2"]\n}\n' +
      `### Chat History:\n<chat_history>\n${historyLines(...turns)}\n</chat_history>\n`,
  )];
}

/** An autocomplete task; `type` is "General" or "search query". */
export function autocompleteTask(type: string, text: string, ...turns: string[]): ChatMessage[] {
  return [user(
    "### Task:\nYou are an autocompletion system. Continue the text in `<text>` based on the " +
      "**completion type** in `<type>` and the given language.\n\n### **Instructions**:\n" +
      "1. Analyze `<text>` for context and meaning.\n" +
      "2. Use `<type>` to guide your output:\n   - **General**: a natural continuation.\n" +
      "   - **Search Query**: complete as a realistic search query.\n" +
      '5. If unsure, return: `{ "text": "" }`.\n\n### **Output Rules**:\n' +
      '- Respond only in JSON format: `{ "text": "<your_completion>" }`.\n\n' +
      "### **Examples**:\nInput:\n<type>General</type>\n<text>The sun was setting</text>\n" +
      'Output:\n{ "text": "over the hills." }\n\n---\n### Context:\n' +
      `<chat_history>\n${historyLines(...turns)}\n</chat_history>\n` +
      `<type>${type}</type>\n<text>${text}</text>\n#### Output:\n`,
  )];
}
