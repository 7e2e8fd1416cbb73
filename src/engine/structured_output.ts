/**
 * Structured output as a layer over `ChatService.start`: the runtime cannot constrain decoding,
 * so the model is told the format (a system-prompt addition), its answer is checked, an invalid
 * answer gets one more try (the model sees its answer and what is wrong with it), and a second
 * failure is a `StructuredOutputError`. Content is held back until it has passed, so a streamed
 * answer arrives as one delta at the end (reasoning and tool calls pass through as they come);
 * what is sent is only the JSON found in the answer. A turn that ends in tool calls, or is cut
 * at the token limit, is not retried: the first is not an answer yet, the second would be cut
 * again. Never claims a format was met when it was not.
 * Imports engine types (the service it wraps) and src/chat; knows no wire format.
 */
import type { ChatMessage } from "../chat/messages.ts";
import { ApiError } from "../errors.ts";
import type { ChatEvent, ChatGeneration, ChatRequest, ChatService, Usage } from "./types.ts";
import { checkOutput } from "../chat/structured_check.ts";
import type { OutputFormat } from "../chat/structured_format.ts";

/**
 * 422: the request was valid, but this model did not produce what it asked for. Not a 5xx,
 * because SDKs retry those on their own, each retry costing a whole generation on the NPU, for
 * an answer that depends on the model and the schema rather than on a passing fault.
 */
export class StructuredOutputError extends ApiError {
  constructor(problem: string, attempts: number, param: string) {
    super(
      "unprocessable",
      "structured_output_failed",
      `The model's answer did not meet the requested format after ${attempts} ` +
        `attempt${attempts === 1 ? "" : "s"}: ${
          problem.replace(/\.+$/, "")
        }. Simplify the schema, allow more ` +
        "tokens, or use a larger model.",
      { param },
    );
  }
}

export const MAX_ATTEMPTS = 2;

/** The system-prompt addition for a format. */
export function formatInstruction(format: OutputFormat): string {
  const only = "and nothing else: no text before or after it, no Markdown code fence.";
  if (format.type === "json_object") return `Answer with one JSON object ${only}`;
  return `Answer with one JSON value that is valid against this JSON Schema ${only}\n` +
    `JSON Schema:\n${JSON.stringify(format.schema)}`;
}

/** `messages` with the instruction added to the (first) system message, or as a new one. */
export function withInstruction(messages: readonly ChatMessage[], text: string): ChatMessage[] {
  const out = [...messages];
  const i = out.findIndex((m) => m.role === "system");
  if (i < 0) return [{ role: "system", content: text }, ...out];
  const base = out[i].content.trim();
  out[i] = { ...out[i], content: base ? `${base}\n\n${text}` : text };
  return out;
}

/** The turn that asks for a corrected answer. */
export function retryMessages(
  messages: readonly ChatMessage[],
  answer: string,
  problem: string,
): ChatMessage[] {
  return [
    ...messages,
    { role: "assistant", content: answer },
    {
      role: "user",
      content: `That answer cannot be used: ${problem}. Reply again with only the corrected JSON.`,
    },
  ];
}

function addUsage(a: Usage | null, b: Usage): Usage {
  if (!a) return b;
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

export interface StructuredOptions {
  /** Names the request field in errors: `response_format` or `format`. */
  param: string;
}

/**
 * Starts `req` on `service`; with a format, the generation enforces it. Rejects as `start` does
 * (before any event); a failed format is the generation's `error` event. Usage counts every
 * attempt: each one ran on the NPU.
 */
export async function startStructured(
  service: ChatService,
  req: ChatRequest,
  format: OutputFormat | null,
  opts: StructuredOptions,
  signal?: AbortSignal,
): Promise<ChatGeneration> {
  if (!format) return service.start(req, signal);
  const messages = withInstruction(req.messages, formatInstruction(format));
  const first = await service.start({ ...req, messages }, signal);
  let current = first;
  let cancelled = false;

  async function* events(): AsyncGenerator<ChatEvent> {
    let turn = messages;
    let usage: Usage | null = null;
    for (let attempt = 1;; attempt++) {
      let content = "";
      let calledTools = false;
      let done: Extract<ChatEvent, { type: "done" }> | null = null;
      for await (const event of current.events) {
        if (event.type === "content") content += event.text;
        else if (event.type === "done") done = event;
        else {
          if (event.type === "tool_calls") calledTools = true;
          yield event;
          if (event.type === "error") return;
        }
      }
      if (!done) return;
      usage = addUsage(usage, done.usage);
      if (calledTools || done.finishReason === "tool_calls") {
        if (content) yield { type: "content", text: content };
        yield { ...done, usage };
        return;
      }
      const check = checkOutput(format!, content);
      if (check.ok) {
        yield { type: "content", text: check.json };
        yield { ...done, usage };
        return;
      }
      const cut = done.finishReason === "length";
      if (cut || attempt >= MAX_ATTEMPTS || cancelled) {
        const problem = cut ? `${check.problem} (it was cut at the token limit)` : check.problem;
        yield { type: "error", error: new StructuredOutputError(problem, attempt, opts.param) };
        return;
      }
      turn = retryMessages(turn, content, check.problem);
      try {
        current = await service.start({ ...req, messages: turn }, signal);
      } catch (err) {
        yield { type: "error", error: err as Error };
        return;
      }
    }
  }

  return {
    requestId: first.requestId,
    model: first.model,
    ignoredParams: first.ignoredParams,
    events: events(),
    cancel() {
      cancelled = true;
      current.cancel();
    },
  };
}
