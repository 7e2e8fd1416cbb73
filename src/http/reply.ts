/**
 * A whole (non-streamed) reply from a generation, as every protocol's non-streaming answer needs
 * it: visible text, reasoning, tool calls, and how it ended. A client that disconnects cancels
 * the generation; a generation error is thrown (and mapped to its HTTP status by the app).
 */
import type { ChatGeneration, FinishReason, Usage } from "../engine/types.ts";
import type { ToolCall } from "../chat/messages.ts";

export interface Reply {
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

/** Cancels `gen` when the client goes away; returns the cleanup. */
export function cancelOnDisconnect(signal: AbortSignal, gen: ChatGeneration): () => void {
  const onAbort = (): void => gen.cancel();
  // A listener added after the client left would never fire.
  if (signal.aborted) gen.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

export async function collectReply(
  gen: ChatGeneration,
  signal: AbortSignal,
  /** Called for every delta (the Ollama layer times the phases with it). */
  onDelta?: () => void,
): Promise<Reply> {
  const release = cancelOnDisconnect(signal, gen);
  const reply = { content: "", reasoning: "", toolCalls: [] as ToolCall[] };
  try {
    for await (const event of gen.events) {
      if (event.type === "error") throw event.error;
      if (event.type === "done") {
        return { ...reply, finishReason: event.finishReason, usage: event.usage };
      }
      onDelta?.();
      if (event.type === "content") reply.content += event.text;
      else if (event.type === "reasoning") reply.reasoning += event.text;
      else reply.toolCalls.push(...event.calls);
    }
  } finally {
    release();
  }
  throw new Error("generation ended without a result");
}
