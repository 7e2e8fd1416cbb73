/**
 * The subset of the Chat Completions wire format the translators read (this server's own
 * output: `reasoning_content` included), and the SSE reader that turns a Chat Completions
 * stream into parsed chunks. Pure apart from reading the body it is given.
 */

export interface ChatToolCallWire {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

export interface ChatUsageWire {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatCompletionWire {
  id: string;
  created: number;
  model: string;
  choices: {
    message: {
      content: string | null;
      reasoning_content?: string;
      tool_calls?: ChatToolCallWire[];
    };
    finish_reason: string | null;
  }[];
  usage?: ChatUsageWire;
}

export interface ChatChunkWire {
  id: string;
  created: number;
  model: string;
  choices: {
    delta: {
      content?: string | null;
      reasoning_content?: string | null;
      tool_calls?: ChatToolCallWire[];
    };
    finish_reason: string | null;
  }[];
  usage?: ChatUsageWire | null;
}

export interface ChatErrorWire {
  message: string;
  type: string;
  code: string | null;
  param?: string | null;
}

/** One item of a Chat Completions stream: a chunk, an upstream keep-alive, or the error chunk. */
export type ChatStreamItem =
  | { type: "chunk"; chunk: ChatChunkWire }
  | { type: "keepalive" }
  | { type: "error"; error: ChatErrorWire };

/** Reads an SSE body (`data:` lines, `:` comments) until `[DONE]`; cancels the body when left early. */
export async function* readChatStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ChatStreamItem> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value.replaceAll("\r\n", "\n");
      let end: number;
      while ((end = buffered.indexOf("\n\n")) !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart()).join("\n");
        if (!data) {
          if (block.startsWith(":")) yield { type: "keepalive" };
          continue;
        }
        if (data === "[DONE]") return;
        const parsed = JSON.parse(data);
        if (parsed?.error) {
          yield { type: "error", error: parsed.error };
          return;
        }
        yield { type: "chunk", chunk: parsed };
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** What running a Chat Completions request produced. */
export type ChatOutcome =
  | { kind: "completion"; completion: ChatCompletionWire; headers: Headers }
  | { kind: "failure"; status: number; error: ChatErrorWire; headers: Headers }
  | { kind: "stream"; items: AsyncGenerator<ChatStreamItem>; headers: Headers };

export type ChatCall = (
  body: unknown,
  signal: AbortSignal,
  headers: Headers,
) => Response | Promise<Response>;

export async function runChat(
  chat: ChatCall,
  body: unknown,
  signal: AbortSignal,
  headers: Headers,
): Promise<ChatOutcome> {
  const res = await chat(body, signal, headers);
  if (res.ok && res.body && res.headers.get("content-type")?.startsWith("text/event-stream")) {
    return { kind: "stream", items: readChatStream(res.body), headers: res.headers };
  }
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const error: ChatErrorWire = json?.error ??
      { message: `chat request failed with ${res.status}`, type: "server_error", code: null };
    return { kind: "failure", status: res.status, error, headers: res.headers };
  }
  return { kind: "completion", completion: json, headers: res.headers };
}

/** Response headers of the chat answer worth passing on (ignored parameters, Retry-After). */
export function passedHeaders(from: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["x-rkllm-ignored-params", "retry-after"]) {
    const v = from.get(name);
    if (v) out[name] = v;
  }
  return out;
}

/** Forwarded to the chat handler: the key and the request id (so both log lines share it). */
export function forwardHeaders(incoming: Headers, requestId?: string | null): Headers {
  const out = new Headers({ "Content-Type": "application/json" });
  const auth = incoming.get("authorization");
  if (auth) out.set("Authorization", auth);
  const id = requestId ?? incoming.get("x-request-id");
  if (id) out.set("X-Request-Id", id);
  return out;
}
