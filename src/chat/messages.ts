/**
 * The vocabulary of a conversation, shared by every layer: roles, messages, tool definitions, tool
 * calls and attached images. A leaf: imports nothing, so the domain packages (engine, rag, tasks)
 * and the protocol adapters can all use it without depending on each other.
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
  /** Images attached to a user message, in the order the client sent them. */
  images?: ImageInput[];
}

/**
 * An image as the client sent it, not yet decoded: src/vision checks and decodes it only for a
 * model that takes images, so a protocol layer never rejects or transforms image data itself.
 */
export type ImageInput =
  /** Base64 file bytes (Ollama `images`). */
  | { kind: "base64"; data: string }
  /** An OpenAI `image_url`: a `data:` URL, or an http(s) URL fetched only when allowed. */
  | { kind: "url"; url: string };

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
