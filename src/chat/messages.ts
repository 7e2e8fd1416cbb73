/**
 * The vocabulary of a conversation, shared by every layer: roles, messages, tool definitions and
 * tool calls. A leaf: imports nothing, so the domain packages (engine, rag, tasks) and the protocol
 * adapters can all use it without depending on each other.
 */

export type Role = "system" | "user" | "assistant" | "tool";

export interface ChatMessage {
  role: Role;
  /** Text content; list-of-parts content has already been joined by the HTTP layer. */
  content: string;
  /** Calls an assistant message made (OpenAI `tool_calls`). */
  toolCalls?: ToolCall[];
  /** For a `tool` message: the call it answers. */
  toolCallId?: string;
}

/** A function the model may call (OpenAI `tools[].function`). */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters?: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as a JSON text, as OpenAI sends them. */
  arguments: string;
}
