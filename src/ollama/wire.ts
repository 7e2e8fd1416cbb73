/**
 * Ollama's wire format as pure conversions over the engine's types: request bodies (validated
 * by schema.ts) → `ChatRequest`, chat events → NDJSON objects, `ModelInfo` → the model objects
 * of `/api/tags`, `/api/ps` and `/api/show`.
 *
 * Model names: the canonical id is both `name` and `model` (no `:latest` tag is added), so a
 * model has the same name here as in `/v1/models`. A requested name is tried as given (id or
 * alias), then without a trailing `:latest`, then with its tag colon read as a dash
 * (`qwen3:1.7b` → `qwen3-1.7b`). Responses report the canonical id.
 *
 * Pure: no clock (times and durations are passed in), no `Deno.*`; imports only engine types.
 */
import {
  type ChatRequest,
  type FinishReason,
  type ModelInfo,
  SAMPLING_FIELDS,
  type SamplingField,
  type Usage,
} from "../engine/types.ts";
import { type ChatMessage, type ImageInput, type Role, type ToolCall } from "../chat/messages.ts";
import type { OllamaChatBody, OllamaGenerateBody, OllamaMessage, OllamaOptions } from "./schema.ts";

/**
 * The Ollama API level this server speaks (chat `think`, tools, `/api/ps`, `/api/embed`), and what
 * `/api/version` answers: a plain x.y.z, which is what clients that gate features on the Ollama
 * version parse (Open WebUI compares dot-separated integers).
 */
export const OLLAMA_API_VERSION = "0.9.0";

/** Names to try, in order, for a requested model name. */
export function modelNameCandidates(name: string): string[] {
  const out = [name.trim()];
  const untagged = out[0].replace(/:latest$/i, "");
  if (untagged !== out[0]) out.push(untagged);
  const colon = untagged.indexOf(":");
  if (colon > 0) out.push(`${untagged.slice(0, colon)}-${untagged.slice(colon + 1)}`);
  return out.filter((n, i) => n.length > 0 && out.indexOf(n) === i);
}

/** The first candidate `find` knows, or undefined. */
export function resolveModel(
  name: string,
  find: (name: string) => ModelInfo | undefined,
): ModelInfo | undefined {
  for (const candidate of modelNameCandidates(name)) {
    const found = find(candidate);
    if (found) return found;
  }
  return undefined;
}

// ---- Requests ------------------------------------------------------------------------------

export interface ConvertedRequest {
  request: ChatRequest;
  /** Request features accepted but not applied (reported in a response header). */
  ignored: string[];
}

/** `keep_alive` that means "unload now": 0, "0", "0s", "0m"… */
export function isUnloadKeepAlive(value: number | string | null | undefined): boolean {
  if (typeof value === "number") return value === 0;
  if (typeof value !== "string") return false;
  return /^\s*0+(?:\.0*)?\s*(?:ns|us|µs|ms|s|m|h)?\s*$/.test(value);
}

function sampling(options: OllamaOptions | null | undefined): ChatRequest["sampling"] {
  const out: Partial<Record<SamplingField, number>> = {};
  for (const field of SAMPLING_FIELDS) {
    const value = options?.[field];
    if (typeof value === "number") out[field] = value;
  }
  return out;
}

/** num_predict > 0 caps the answer; -1, -2 and 0 leave the model's limit. */
function maxTokens(options: OllamaOptions | null | undefined): number | undefined {
  const n = options?.num_predict;
  return typeof n === "number" && n > 0 ? n : undefined;
}

function stops(options: OllamaOptions | null | undefined): string[] {
  const stop = options?.stop;
  const list = stop == null ? [] : typeof stop === "string" ? [stop] : stop;
  return list.filter((s) => s.length > 0);
}

/** `think: false` switches thinking off, `true` or a level on; absent = the model's default. */
function thinking(think: OllamaChatBody["think"]): boolean | undefined {
  if (think == null) return undefined;
  return think !== false;
}

/** Ollama sends tool-call arguments as an object; the engine keeps OpenAI's JSON text. */
export function argumentsText(value: Record<string, unknown> | string | null | undefined): string {
  if (value == null) return "{}";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The engine's JSON text → the object Ollama clients expect (`{}` when it is not an object). */
export function argumentsObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not JSON: fall through
  }
  return {};
}

const ROLE_MAP: Record<OllamaMessage["role"], Role> = {
  system: "system",
  developer: "system",
  user: "user",
  assistant: "assistant",
  tool: "tool",
};

/**
 * Ollama messages → engine messages. Tool calls get ids `call_<message>_<call>` unless the client
 * sent ids; a `tool` message without `tool_call_id` answers the earliest unanswered call of the
 * same `tool_name` (else the earliest unanswered call) of the assistant turn before it.
 */
export function toChatMessages(messages: readonly OllamaMessage[]): ChatMessage[] {
  let pending: ToolCall[] = [];
  return messages.map((m, i): ChatMessage => {
    const msg: ChatMessage = { role: ROLE_MAP[m.role], content: m.content ?? "" };
    if (m.images?.length) msg.images = base64Images(m.images);
    if (m.tool_calls?.length) {
      msg.toolCalls = m.tool_calls.map((t, j) => ({
        id: t.id || `call_${i}_${j}`,
        name: t.function.name,
        arguments: argumentsText(t.function.arguments),
      }));
      pending = [...msg.toolCalls];
    }
    if (m.role === "tool") {
      const answered = m.tool_call_id
        ? pending.find((c) => c.id === m.tool_call_id)
        : pending.find((c) => c.name === m.tool_name) ?? pending[0];
      const id = m.tool_call_id || answered?.id;
      if (id) msg.toolCallId = id;
      if (answered) pending = pending.filter((c) => c !== answered);
    }
    return msg;
  });
}

/** Ollama `images` (base64 file bytes): checked and decoded later, only for a vision model. */
function base64Images(images: readonly string[]): ImageInput[] {
  return images.map((data) => ({ kind: "base64", data }));
}

function ignoredOf(extra: Record<string, boolean>): string[] {
  return Object.entries(extra).filter(([, isIgnored]) => isIgnored).map(([name]) => name);
}

/** The fields chat and generate share: `options` and `think`. */
function generationFields(
  body: Pick<OllamaChatBody, "options" | "think">,
): Pick<ChatRequest, "maxTokens" | "stop" | "enableThinking" | "sampling"> {
  return {
    maxTokens: maxTokens(body.options),
    stop: stops(body.options),
    enableThinking: thinking(body.think),
    sampling: sampling(body.options),
  };
}

/** `/api/chat` body → `ChatRequest` for model `modelId` (the resolved canonical id). */
export function chatToRequest(
  body: OllamaChatBody,
  requestId: string,
  modelId: string,
): ConvertedRequest {
  const tools = body.tools?.map((t) => ({
    name: t.function.name,
    description: t.function.description ?? undefined,
    parameters: t.function.parameters ?? undefined,
  })) ?? [];
  return {
    request: chatRequest(body, requestId, modelId, toChatMessages(body.messages ?? []), tools),
    ignored: [],
  };
}

function chatRequest(
  body: OllamaChatBody | OllamaGenerateBody,
  requestId: string,
  model: string,
  messages: ChatMessage[],
  tools: ChatRequest["tools"],
): ChatRequest {
  return { requestId, model, messages, ...generationFields(body), tools };
}

/**
 * `/api/generate` body → `ChatRequest`: `system` (if any) and `prompt` as one chat turn. The
 * runtime always applies the model's chat template, so `raw`, `template`, `suffix` and `context`
 * are accepted and reported as ignored.
 */
export function generateToRequest(
  body: OllamaGenerateBody,
  requestId: string,
  modelId: string,
): ConvertedRequest {
  const messages: ChatMessage[] = [];
  if (body.system) messages.push({ role: "system", content: body.system });
  const user: ChatMessage = { role: "user", content: body.prompt ?? "" };
  if (body.images?.length) user.images = base64Images(body.images);
  messages.push(user);
  return {
    request: chatRequest(body, requestId, modelId, messages, []),
    ignored: ignoredOf({
      raw: body.raw === true,
      template: Boolean(body.template),
      suffix: Boolean(body.suffix),
      context: (body.context?.length ?? 0) > 0,
    }),
  };
}

// ---- Responses -----------------------------------------------------------------------------

/** Milliseconds (from the injected clock) of the phases of one request. */
export interface Timings {
  /** Request received → done. */
  totalMs: number;
  /** Request received → the run started (queue wait + model load). */
  loadMs: number;
  /** Run started → first token (prefill). */
  promptMs: number;
  /** First token → done (decode). */
  evalMs: number;
}

export interface DoneStats {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

const ns = (ms: number): number => Math.max(0, Math.round(ms * 1e6));

/** Ollama's final counters: durations in nanoseconds, counts from the engine's usage. */
export function doneStats(usage: Usage, t: Timings): DoneStats {
  return {
    total_duration: ns(t.totalMs),
    load_duration: ns(t.loadMs),
    prompt_eval_count: usage.promptTokens,
    prompt_eval_duration: ns(t.promptMs),
    eval_count: usage.completionTokens,
    eval_duration: ns(t.evalMs),
  };
}

/** Ollama has no `tool_calls` reason: a turn that called tools ended with "stop". */
export function doneReason(finish: FinishReason): "stop" | "length" {
  return finish === "length" ? "length" : "stop";
}

export interface OllamaToolCall {
  id: string;
  function: { index: number; name: string; arguments: Record<string, unknown> };
}

export function toolCallsWire(calls: readonly ToolCall[], first = 0): OllamaToolCall[] {
  return calls.map((c, i) => ({
    id: c.id,
    function: { index: first + i, name: c.name, arguments: argumentsObject(c.arguments) },
  }));
}

export interface AssistantMessage {
  role: "assistant";
  content: string;
  thinking?: string;
  tool_calls?: OllamaToolCall[];
}

/** What every line carries: the canonical model id and the line's time (RFC 3339). */
export interface LineMeta {
  model: string;
  createdAt: string;
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** A delta event → the `message` of a streamed chat line (tool calls numbered from `toolCallsSoFar`). */
export function chatDeltaMessage(
  event:
    | { type: "reasoning"; text: string }
    | { type: "content"; text: string }
    | { type: "tool_calls"; calls: ToolCall[] },
  toolCallsSoFar = 0,
): AssistantMessage {
  if (event.type === "reasoning") return { role: "assistant", content: "", thinking: event.text };
  if (event.type === "content") return { role: "assistant", content: event.text };
  return { role: "assistant", content: "", tool_calls: toolCallsWire(event.calls, toolCallsSoFar) };
}

export function chatLine(meta: LineMeta, message: AssistantMessage): Record<string, unknown> {
  return { model: meta.model, created_at: meta.createdAt, message, done: false };
}

/** The last line of a chat stream, or (with the whole message) a non-streamed chat answer. */
export function chatDone(
  meta: LineMeta,
  message: AssistantMessage,
  finish: FinishReason,
  usage: Usage,
  timings: Timings,
): Record<string, unknown> {
  return {
    model: meta.model,
    created_at: meta.createdAt,
    message,
    done: true,
    done_reason: doneReason(finish),
    ...doneStats(usage, timings),
  };
}

/** A whole assistant message from accumulated parts (trimmed, as the OpenAI layer does). */
export function assistantMessage(
  content: string,
  reasoning: string,
  toolCalls: readonly ToolCall[],
): AssistantMessage {
  const message: AssistantMessage = { role: "assistant", content: content.trim() };
  if (reasoning.trim()) message.thinking = reasoning.trim();
  if (toolCalls.length) message.tool_calls = toolCallsWire(toolCalls);
  return message;
}

export function generateLine(
  meta: LineMeta,
  response: string,
  thinking?: string,
): Record<string, unknown> {
  const line: Record<string, unknown> = {
    model: meta.model,
    created_at: meta.createdAt,
    response,
  };
  if (thinking) line.thinking = thinking;
  line.done = false;
  return line;
}

/** The last line of a generate stream, or (with the whole text) a non-streamed answer. */
export function generateDone(
  meta: LineMeta,
  response: string,
  thinking: string,
  finish: FinishReason,
  usage: Usage,
  timings: Timings,
): Record<string, unknown> {
  return {
    ...generateLine(meta, response, thinking),
    done: true,
    done_reason: doneReason(finish),
    context: [],
    ...doneStats(usage, timings),
  };
}

/** Answer of a load-only (`done_reason: "load"`) or unload-only (`"unload"`) request. */
export function loadOnlyChat(meta: LineMeta, reason: "load" | "unload"): Record<string, unknown> {
  return {
    model: meta.model,
    created_at: meta.createdAt,
    message: { role: "assistant", content: "" },
    done_reason: reason,
    done: true,
  };
}

export function loadOnlyGenerate(
  meta: LineMeta,
  reason: "load" | "unload",
): Record<string, unknown> {
  return {
    model: meta.model,
    created_at: meta.createdAt,
    response: "",
    done_reason: reason,
    done: true,
  };
}

// ---- Models --------------------------------------------------------------------------------

export interface ModelDetails {
  parent_model: string;
  format: string;
  family: string;
  families: string[];
  parameter_size: string;
  quantization_level: string;
}

/** First dash-part of the id: `qwen3` from `qwen3-1.7b`, `phi` from `phi-3-mini-4k-instruct`. */
export function modelFamily(id: string): string {
  return id.split("-")[0].toLowerCase() || id;
}

/** `1.7B` from `qwen3-1.7b`, `500M` from `x-500m-chat`; "" when the id names no size. */
export function parameterSize(id: string): string {
  const m = /(?:^|[-_])(\d+(?:\.\d+)?)([bm])(?:[-_]|$)/i.exec(id);
  return m ? `${m[1]}${m[2].toUpperCase()}` : "";
}

/** `W8A8` from `Qwen3-1.7B-w8a8-rk3588.rkllm`; "" when the file name names none. */
export function quantizationLevel(fileName: string): string {
  const m = /(?:^|[-_.])(w\d+a\d+(?:_g\d+)?)(?=[-_.]|$)/i.exec(fileName);
  return m ? m[1].toUpperCase() : "";
}

export function modelDetails(m: ModelInfo): ModelDetails {
  const family = modelFamily(m.id);
  return {
    parent_model: "",
    format: "rkllm",
    family,
    families: [family],
    parameter_size: parameterSize(m.id),
    quantization_level: quantizationLevel(m.fileName),
  };
}

/**
 * A stable stand-in for Ollama's sha256 digest (64 hex digits): FNV-1a 64 of the id, file name
 * and size under four seeds. It changes when the file does, but it is not a content hash.
 */
export function modelDigest(m: ModelInfo): string {
  const text = `${m.id}\u0000${m.fileName}\u0000${m.sizeBytes}`;
  const bytes = new TextEncoder().encode(text);
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  let hex = "";
  for (let seed = 0n; seed < 4n; seed++) {
    let h = 0xcbf29ce484222325n ^ seed;
    for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
    hex += h.toString(16).padStart(16, "0");
  }
  return hex;
}

/** An entry of `/api/tags`. */
export function tagsEntry(m: ModelInfo, modifiedAt: string): Record<string, unknown> {
  return {
    name: m.id,
    model: m.id,
    modified_at: modifiedAt,
    size: m.sizeBytes,
    digest: modelDigest(m),
    details: modelDetails(m),
  };
}

/**
 * An entry of `/api/ps`. The NPU shares system memory, so the whole model counts as `size_vram`;
 * the idle unload time is not known here, so `expires_at` is passed in.
 */
export function psEntry(m: ModelInfo, expiresAt: string): Record<string, unknown> {
  return {
    name: m.id,
    model: m.id,
    size: m.sizeBytes,
    digest: modelDigest(m),
    details: modelDetails(m),
    expires_at: expiresAt,
    size_vram: m.sizeBytes,
    context_length: m.contextLength,
  };
}

/**
 * Ollama capabilities: every model here chats ("completion") and may be offered tools (the
 * engine prompts for them); "thinking" when the model has a thinking mode; "vision" when its
 * folder holds a vision encoder (capability "vl"), which Open WebUI reads to allow images.
 */
export function ollamaCapabilities(m: ModelInfo): string[] {
  const caps = ["completion", "tools"];
  if (m.capabilities.includes("thinking")) caps.push("thinking");
  if (m.capabilities.includes("vl")) caps.push("vision");
  return caps;
}

/** `/api/show`. The chat template lives inside the .rkllm file, so `template` is empty. */
export function showResponse(m: ModelInfo, modifiedAt: string): Record<string, unknown> {
  const details = modelDetails(m);
  return {
    license: "",
    modelfile: `# Modelfile generated by rkllm-api\nFROM ${m.fileName}\n` +
      `PARAMETER num_ctx ${m.contextLength}\n`,
    parameters: `num_ctx ${m.contextLength}`,
    template: "",
    details,
    model_info: {
      "general.architecture": details.family,
      "general.basename": m.id,
      [`${details.family}.context_length`]: m.contextLength,
    },
    capabilities: ollamaCapabilities(m),
    modified_at: modifiedAt,
  };
}
