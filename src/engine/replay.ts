/**
 * Generations that do not touch the NPU: a background-task shortcut answer or a cached RAG
 * answer, replayed as the same events a real generation yields (reasoning, then content in
 * small pieces so a streaming client still sees a stream, then `done`). Pure.
 */
import { estimateTokens } from "./prompt.ts";
import type { ChatEvent, ChatGeneration } from "./types.ts";

const PIECE_CHARS = 80;

export interface Replay {
  requestId: string;
  model: string;
  content: string;
  reasoning?: string;
  /** The prompt the answer belongs to, for the usage estimate. */
  promptText: string;
}

export function replayGeneration(r: Replay): ChatGeneration {
  let cancelled = false;
  async function* events(): AsyncGenerator<ChatEvent> {
    if (r.reasoning) yield { type: "reasoning", text: r.reasoning };
    for (let i = 0; i < r.content.length && !cancelled;) {
      let end = Math.min(i + PIECE_CHARS, r.content.length);
      // Never cut between the two halves of a surrogate pair (emoji).
      const last = r.content.charCodeAt(end - 1);
      if (end < r.content.length && last >= 0xd800 && last <= 0xdbff) end--;
      yield { type: "content", text: r.content.slice(i, end) };
      i = end;
    }
    const promptTokens = estimateTokens(r.promptText);
    const completionTokens = estimateTokens((r.reasoning ?? "") + r.content);
    yield {
      type: "done",
      finishReason: "stop",
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
    };
  }
  return {
    requestId: r.requestId,
    model: r.model,
    ignoredParams: [],
    events: events(),
    cancel: () => {
      cancelled = true;
    },
  };
}
