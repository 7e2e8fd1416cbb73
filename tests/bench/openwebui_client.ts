/**
 * Plays Open WebUI against a server: chats as Open WebUI stores them (the user's text as typed,
 * answers as they streamed), the request bodies it sends for answers, web-search answers and its
 * background tasks (rendered from the captured fixtures' default templates, with the chat's last
 * messages as `ROLE: content` lines in `<chat_history>`), and when it sends each task. Every
 * request is recorded as a `StepRecord` with the mock-log position it started at.
 *
 * For the session benchmark; knows the server only through HTTP and its log lines.
 */
import { loadFixture } from "../support/fixtures.ts";
import { mockTokens, type StepRecord } from "./session_accounting.ts";

interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface Chat {
  name: string;
  system: string | null;
  /** User and assistant messages as Open WebUI stores them. */
  messages: Message[];
  answers: number;
}

/** One retrieved chunk of a web page; chunks of the same page share its number. */
export interface WebChunk {
  page: number;
  text: string;
}

export interface Ask {
  /** A web search: the queries task first, then the answer with these results as context. */
  web?: readonly WebChunk[];
  /** The user presses stop after this many content chunks (no tasks follow). */
  stopAfterChunks?: number;
}

type TaskKind = "follow_ups" | "title" | "tags" | "queries";

const TEMPLATES: Record<TaskKind, { file: string; window: number }> = {
  follow_ups: { file: "task_follow_ups.json", window: 6 },
  title: { file: "task_title.json", window: 2 },
  tags: { file: "task_tags.json", window: 6 },
  queries: { file: "task_search_queries.json", window: 6 },
};

const HISTORY_OPEN = "<chat_history>\n";
const HISTORY_CLOSE = "\n</chat_history>";

/** A captured task body with its chat history replaced by `history`. */
function taskBody(kind: TaskKind, history: readonly Message[]): Record<string, unknown> {
  const body = loadFixture(TEMPLATES[kind].file);
  const template = String(body.messages[0].content);
  const open = template.indexOf(HISTORY_OPEN) + HISTORY_OPEN.length;
  const close = template.indexOf(HISTORY_CLOSE);
  const lines = history.slice(-TEMPLATES[kind].window)
    .map((m) => `${m.role.toUpperCase()}: ${m.content}`).join("\n");
  const content = template.slice(0, open) + lines + template.slice(close);
  return { ...body, messages: [{ role: "user", content }] };
}

/** The task's instruction: its text without the `<chat_history>` block. */
export function taskInstruction(content: string): string {
  const open = content.indexOf(HISTORY_OPEN);
  const close = content.indexOf(HISTORY_CLOSE);
  return content.slice(0, open) + content.slice(close + HISTORY_CLOSE.length);
}

/** Open WebUI's default RAG block (template from the fixture) in front of the question. */
function ragMessage(question: string, chunks: readonly WebChunk[], query: string): string {
  const fixture = loadFixture("rag_web_search.json");
  const captured = String(fixture.messages.at(-1)!.content);
  const head = captured.slice(0, captured.indexOf("<context>") + "<context>\n".length);
  const sources = chunks.map((c) =>
    `<source id="${c.page}" name="${query}" resource-type="web_search">${c.text}</source>`
  );
  return `${head}${sources.join("\n")}\n</context>\n\n${question}`;
}

export interface ServerProbe {
  url: string;
  model: string;
  /** Lines in the mock's call log so far. */
  logLines(): Promise<number>;
  /** Waits until the runtime has ended every run it started. */
  runsEnded(): Promise<void>;
  /** What the server logged for a request id (diagnostic). */
  serverNote(requestId: string): string;
}

export class OpenWebUi {
  readonly steps: StepRecord[] = [];
  readonly #server: ServerProbe;

  constructor(server: ServerProbe) {
    this.#server = server;
  }

  newChat(name: string, system: string | null = null): Chat {
    return { name, system, messages: [], answers: 0 };
  }

  /** A user message, the tasks Open WebUI sends around it, and the answer kept in the chat. */
  async ask(chat: Chat, question: string, opts: Ask = {}): Promise<void> {
    const label = `${chat.name}${chat.answers + 1}`;
    const history = [...chat.messages, { role: "user" as const, content: question }];
    let userMessage = question;
    if (opts.web) {
      const reply = await this.#task(`${label} queries`, chat, "queries", history);
      const query = (JSON.parse(reply).queries as string[] | undefined)?.[0] ?? question;
      userMessage = ragMessage(question, opts.web, query);
    }
    const first = chat.answers === 0;
    const answer = await this.#answer(
      opts.stopAfterChunks ? `${label} stopped` : opts.web ? `${label} web` : label,
      chat,
      [...chat.messages, { role: "user", content: userMessage }],
      (first && chat.system ? `${chat.system}\n` : "") + userMessage,
      first,
      opts.stopAfterChunks,
    );
    chat.messages.push({ role: "user", content: question }, {
      role: "assistant",
      content: answer,
    });
    chat.answers++;
    if (opts.stopAfterChunks) return; // stopping cancels the post-answer tasks
    await this.#afterAnswer(label, chat, first);
  }

  /** Regenerate: the last request again; the new answer replaces the old one. */
  async regenerate(chat: Chat): Promise<void> {
    const label = `${chat.name}${chat.answers} regenerate`;
    const before = chat.messages.slice(0, -1);
    const question = before.at(-1)!.content;
    const answer = await this.#answer(label, chat, before, question, false);
    chat.messages[chat.messages.length - 1] = { role: "assistant", content: answer };
    await this.#afterAnswer(label, chat, false);
  }

  /** Follow-ups after every answer; title and tags after a chat's first (Open WebUI's order). */
  async #afterAnswer(label: string, chat: Chat, first: boolean): Promise<void> {
    await this.#task(`${label} follow-ups`, chat, "follow_ups", chat.messages);
    if (!first) return;
    await this.#task(`${label} title`, chat, "title", chat.messages);
    await this.#task(`${label} tags`, chat, "tags", chat.messages);
  }

  async #answer(
    label: string,
    chat: Chat,
    messages: Message[],
    newText: string,
    firstOfChat: boolean,
    stopAfterChunks?: number,
  ): Promise<string> {
    const body = {
      model: this.#server.model,
      stream: true,
      stream_options: { include_usage: true },
      messages: chat.system ? [{ role: "system", content: chat.system }, ...messages] : messages,
    };
    const step = await this.#begin(label, "answer", chat, mockTokens(newText), firstOfChat);
    const abort = new AbortController();
    const t0 = performance.now();
    const res = await this.#post(step, body, abort.signal);
    let content = "";
    let chunks = 0;
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
          const text = JSON.parse(line.slice(6)).choices?.[0]?.delta?.content;
          if (!text) continue;
          step.ttftMs ??= performance.now() - t0;
          content += text;
          chunks++;
        }
        if (stopAfterChunks && chunks >= stopAfterChunks) {
          abort.abort();
          break;
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    step.ms = performance.now() - t0;
    if (stopAfterChunks) await this.#server.runsEnded();
    this.#end(step);
    return content;
  }

  async #task(label: string, chat: Chat, kind: TaskKind, history: Message[]): Promise<string> {
    const body = taskBody(kind, history);
    const prompt = String((body.messages as Message[])[0].content);
    const step = await this.#begin(label, "task", chat, mockTokens(taskInstruction(prompt)), false);
    step.task = kind;
    const t0 = performance.now();
    const res = await this.#post(step, body);
    const reply = String((await res.json()).choices[0].message.content);
    step.ms = performance.now() - t0;
    const list = (JSON.parse(reply) as Record<string, unknown>)[kind];
    step.items = Array.isArray(list) ? list.length : null;
    this.#end(step);
    return reply;
  }

  async #begin(
    label: string,
    kind: StepRecord["kind"],
    chat: Chat,
    newPromptTokens: number,
    firstOfChat: boolean,
  ): Promise<StepRecord> {
    const step: StepRecord = {
      label,
      kind,
      chat: chat.name,
      firstOfChat,
      newPromptTokens,
      logStart: await this.#server.logLines(),
      ttftMs: null,
      ms: 0,
      items: null,
      server: "",
    };
    this.steps.push(step);
    return step;
  }

  #end(step: StepRecord): void {
    step.server = this.#server.serverNote(this.#requestId(step));
  }

  #requestId(step: StepRecord): string {
    return `bench-${this.steps.indexOf(step) + 1}`;
  }

  async #post(step: StepRecord, body: unknown, signal?: AbortSignal): Promise<Response> {
    const res = await fetch(`${this.#server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": this.#requestId(step) },
      body: JSON.stringify(body),
      signal,
    });
    if (!res.ok) throw new Error(`${step.label}: HTTP ${res.status} ${await res.text()}`);
    return res;
  }
}
