/**
 * One chat request → the turn to run: `planTurn(request, model, settings)`. Decides thinking,
 * merges sampling, detects Open WebUI tasks and retrieved context (RAG), sets up function tools,
 * builds the prompt for an empty KV cache, lists the images each prompt carries and says what the
 * cache must hold afterwards. Which of the prompts is sent depends on what the runtime's cache
 * holds when the NPU is free: that is the session's decision (`session.ts`), not the plan's.
 *
 * Images: a model without a vision encoder refuses them (400). Otherwise every image is digested
 * (the KV cache compares pictures by it) and checked without decoding; only the images a prompt
 * sends must be good and within `max_images_per_request`. A cold prompt drops its oldest
 * exchanges, images and all, until it fits the context (an image counts as the model's estimated
 * image tokens) and the image limit; dropped images are neither checked, sent nor counted. A
 * background task runs on the text only. Decoding and encoding happen later, under the lease.
 *
 * Pure: no Deno APIs, no clock, no state. Log lines are returned as notes for the caller to write.
 */
import type { ChatMessage, ImageInput } from "../chat/messages.ts";
import { InvalidRequestError } from "../errors.ts";
import { supportsThinking } from "../models/capabilities.ts";
import type { ModelEntry } from "../models/registry.ts";
import { imageTokensEstimate } from "../models/vision_model.ts";
import { planRag } from "../rag/pipeline.ts";
import type { SamplingParams } from "../rkllm/npu.ts";
import { continuationInstruction, historyEndsWith } from "../tasks/continuation.ts";
import { detectTask, type TaskKind } from "../tasks/detect.ts";
import { normaliseTaskReply } from "../tasks/reply.ts";
import type { TaskMode } from "../tasks/settings.ts";
import { shortcutReply } from "../tasks/shortcut.ts";
import { VisionUnsupportedError } from "../vision/errors.ts";
import { escapeImageTags, withImageTags } from "../vision/image_tags.ts";
import { checkSendable, type CollectedImage, collectImages } from "../vision/images.ts";
import { DEFAULT_VISION_SETTINGS, type VisionSettings } from "../vision/settings.ts";
import { type CachedConversation, type ImageKeys, normaliseConversation } from "./kv_cache.ts";
import { buildPrompt, cleanSystemPrompt, estimateTokens } from "./prompt.ts";
import { decideThinking } from "./think_control.ts";
import type { ChatRequest, SamplingField } from "./types.ts";

export interface PlanSettings {
  /** The runtime takes sampling and max_new_tokens per run (1.3.0); else only at load. */
  perRunSampling: boolean;
  taskModes: Readonly<Record<TaskKind, TaskMode>>;
  taskMaxTokens: number;
  /** Image limits and switches (default: DEFAULT_VISION_SETTINGS). */
  vision?: VisionSettings;
}

/**
 * The images a turn prefills, in prompt order, as the client sent them: the runner decodes and
 * encodes them under the lease. Which list goes with the run is the session's choice.
 */
export interface TurnImages {
  /** With `coldPrompt`: the images of every turn it contains. */
  cold: CollectedImage[];
  /** With an incremental turn (the new message, or `retrieved.prompt`): the new message's. */
  added: CollectedImage[];
}

/** A line for the log, written by the caller under the request's id. */
export interface PlanNote {
  component: string;
  message: string;
  fields: Record<string, unknown>;
}

/** The runtime's function-calling setup; `key` identifies it so it is set only on change. */
export interface FunctionTools {
  system: string;
  json: string;
  key: string;
}

/** Answered without the NPU: a task shortcut. */
export interface ReplayPlan {
  kind: "replay";
  content: string;
  promptText: string;
  notes: PlanNote[];
}

/** A turn that runs on the NPU. */
export interface NpuTurnPlan {
  kind: "chat" | "rag" | "task";
  task?: TaskKind;
  enableThinking: boolean;
  /** The model opens the think block in its template (output starts inside reasoning). */
  implicitThink: boolean;
  maxTokens: number;
  /** Sampling for this run when the runtime takes it per run. */
  sampling?: SamplingParams;
  stop: string[];
  /** Request parameters the runtime cannot apply (reported to the client). */
  ignoredParams: string[];
  /** Prompt tokens the context allows after the answer's reserve. */
  budget: number;
  /** The request's conversation as the KV cache would hold it, its new turn last. */
  conversation: CachedConversation;
  /** What to send when the KV cache holds nothing of this conversation. */
  coldPrompt: string;
  /** The images each prompt carries (none: a text turn). */
  images: TurnImages;
  /** After a clean cold run, the cache holds `conversation` plus the reply. */
  coldHoldsConversation: boolean;
  /**
   * RAG only: what to send on top of the cached conversation instead of the user's question,
   * and the tokens it adds beyond the question.
   */
  retrieved?: { prompt: string; extraTokens: number; cacheKey: RagCacheKey };
  /** Function tools the runtime must have set for this turn (null: none). */
  tools: FunctionTools | null;
  /** Parse `<tool_call>` blocks into tool calls. */
  toolCalls: boolean;
  /** Background tasks: the whole reply is replaced by what Open WebUI can parse. */
  rewrite?: (content: string) => string;
  /** A task that may be asked as the next turn of the cached chat (`continue` mode). */
  continuation?: TaskContinuation;
  promptTokensEstimate: number;
  notes: PlanNote[];
}

/** What identifies a RAG answer for the answer cache. */
export interface RagCacheKey {
  question: string;
  context: string;
}

export type TurnPlan = ReplayPlan | NpuTurnPlan;

export interface TaskContinuation {
  /** The task's instruction without its copy of the conversation. */
  instruction: string;
  promptTokens: number;
  /** The task is about this conversation (the cache's turns). */
  matches(turns: readonly { role: string; content: string }[]): boolean;
  /** The answer when it cannot run on the cached chat. */
  fallback: string;
}

const SAMPLING_KEYS: Record<SamplingField, keyof SamplingParams> = {
  temperature: "temperature",
  top_p: "topP",
  top_k: "topK",
  repeat_penalty: "repeatPenalty",
  frequency_penalty: "frequencyPenalty",
  presence_penalty: "presencePenalty",
};

/** The tag Rockchip's examples use to mark tool results in the chat template. */
export const TOOL_RESPONSE_TAG = "tool_response";
const DEFAULT_TOOLS_SYSTEM_PROMPT = "You are a helpful assistant.";

/**
 * Context kept free for the answer. An explicit `max_tokens` is reserved in full (up to half the
 * context); otherwise the model's limit, but at most 35 % of the context, so a large
 * max_new_tokens does not leave long conversations no room (the runtime stops at a full context).
 */
function answerReserve(contextLength: number, maxTokens: number, requested?: number): number {
  const cap = requested === undefined
    ? Math.floor(contextLength * 0.35)
    : Math.floor(contextLength / 2);
  return Math.min(maxTokens, cap);
}

/**
 * Request sampling fields over the model's profile. Runtime 1.2.3 takes sampling only at load:
 * then the fields that differ from the profile are reported back as not applied.
 */
function mergeSampling(
  entry: ModelEntry,
  req: ChatRequest,
  perRun: boolean,
): { sampling?: SamplingParams; ignoredParams: string[] } {
  const fields = Object.entries(req.sampling) as [SamplingField, number][];
  if (!perRun) {
    return {
      ignoredParams: fields.filter(([k, v]) => entry.sampling[SAMPLING_KEYS[k]] !== v)
        .map(([k]) => k),
    };
  }
  const sampling = { ...entry.sampling };
  for (const [k, v] of fields) sampling[SAMPLING_KEYS[k]] = v;
  return { sampling, ignoredParams: [] };
}

/**
 * The runtime reads prompts as C strings: a NUL would silently end the prompt there (dropping,
 * say, the question after a system prompt), so NULs are removed from all text first.
 */
export function stripNul(text: string): string {
  return text.includes("\0") ? text.replaceAll("\0", "") : text;
}

function withoutNul(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((
    m,
  ) => (m.content.includes("\0") ? { ...m, content: stripNul(m.content) } : m));
}

/** The request's images, found once: digests for the KV cache, the lists each prompt sends. */
class RequestImages {
  readonly keys: ImageKeys;
  readonly #vision: VisionSettings;
  readonly #byDigest: Map<string, CollectedImage>;

  constructor(req: ChatRequest, entry: ModelEntry, vision: VisionSettings) {
    // A text model refuses images before any is decoded and checked.
    if (!entry.vision && req.messages.some((m) => m.images?.length)) {
      throw new VisionUnsupportedError(entry.id);
    }
    const collected = collectImages(req.messages, vision);
    this.#vision = vision;
    this.#byDigest = new Map(collected.map((c) => [c.digest, c]));
    const byInput = new Map<ImageInput, string>(collected.map((c) => [c.input, c.digest]));
    this.keys = {
      digest: (image) => {
        const digest = byInput.get(image);
        if (digest === undefined) throw new Error("planTurn: an image not in the request");
        return digest;
      },
      tokens: entry.vision ? imageTokensEstimate(entry.vision) : 0,
    };
  }

  get maxImages(): number {
    return this.#vision.maxImagesPerRequest;
  }

  /** The images of `turns`, in order, refused unless they can be sent. */
  sendable(turns: CachedConversation["turns"]): CollectedImage[] {
    const images = turns.flatMap((t) => t.images ?? []).map((d) => this.#byDigest.get(d)!);
    checkSendable(images, this.#vision);
    return images;
  }
}

const NO_IMAGES: TurnImages = { cold: [], added: [] };

export function planTurn(req: ChatRequest, entry: ModelEntry, settings: PlanSettings): TurnPlan {
  const images = new RequestImages(req, entry, settings.vision ?? DEFAULT_VISION_SETTINGS);
  const decision = decideThinking(
    withoutNul(req.messages),
    supportsThinking(entry.capabilities),
    req.enableThinking,
  );
  const maxTokens = Math.min(req.maxTokens ?? entry.maxNewTokens, entry.maxNewTokens);
  const budget = entry.contextLength -
    answerReserve(entry.contextLength, maxTokens, req.maxTokens);

  const task = detectTask(decision.messages);
  if (task) return planTask(task, decision.messages, entry, budget, settings, images.keys);

  const { sampling, ignoredParams } = mergeSampling(entry, req, settings.perRunSampling);
  const notes: PlanNote[] = [];
  const latestImages = decision.messages.at(-1)?.images?.length ?? 0;
  const rag = planRag(decision.messages, {
    contextTokens: entry.contextLength,
    // The new message's images take room the retrieved context cannot have.
    answerTokens: entry.contextLength - budget + latestImages * images.keys.tokens,
  });
  if (rag.kind === "followup") {
    notes.push({ component: "rag", message: "skipped: follow-up", fields: { reason: rag.reason } });
  } else if (rag.kind === "no_results") {
    notes.push({
      component: "rag",
      message: "nothing useful",
      fields: { best_score: rag.pack.bestScore },
    });
  }
  const messages = rag.kind === "none" ? decision.messages : rag.messages;
  const conversation = normaliseConversation(messages, images.keys);
  const last = conversation.turns.at(-1)?.role;
  if (last !== "user" && last !== "tool") {
    throw new InvalidRequestError(
      "The last message must be from the user (or a tool result).",
      "messages",
    );
  }
  // Checked first: the new message's own images must all go, within the limit.
  const added = images.sendable(conversation.turns.slice(-1));
  const common = {
    maxTokens,
    sampling,
    stop: req.stop,
    ignoredParams,
    budget,
    conversation,
    notes,
  };

  // Tools are not offered on a RAG turn: the answer comes from the retrieved context.
  const offered = rag.kind === "rag" ? [] : req.tools ?? [];
  const toolsActive = offered.length > 0 && req.toolChoice !== "none" && !entry.disableTools;
  if (offered.length && entry.disableTools) ignoredParams.push("tools");
  // With tools, the runtime's tool template carries the system prompt (rkllm_set_function_tools),
  // so the prompt leaves it out. Built before queueing: an oversized prompt is refused at once.
  const built = buildPrompt(
    toolsActive ? { ...conversation, system: "" } : conversation,
    budget,
    { maxImages: images.maxImages },
  );

  if (rag.kind === "rag") {
    const thinking = decision.enableThinking && rag.thinkingAllowed;
    notes.push({
      component: "rag",
      message: "context packed",
      fields: {
        sources: rag.sourceIds.join(",") || "-",
        chars_before: rag.pack.charsBefore,
        chars_after: rag.pack.charsAfter,
        best_score: rag.pack.bestScore,
      },
    });
    const system = cleanSystemPrompt(conversation.system, rag.question);
    const ragTokens = estimateTokens(rag.prompt);
    // The earlier history goes in as text: only the question's images are sent, in front.
    const n = added.length;
    const tagged = (text: string): string => (n ? withImageTags(text, n) : text);
    const plainSystem = n ? escapeImageTags(system) : system;
    return {
      kind: "rag",
      ...common,
      enableThinking: thinking,
      implicitThink: thinking && entry.thinkPrefilled,
      coldPrompt: system ? `${plainSystem}\n\n${tagged(rag.coldPrompt)}` : tagged(rag.coldPrompt),
      images: { cold: added, added },
      // The earlier history went in as text, not as the turns the cache record compares.
      coldHoldsConversation: conversation.turns.length === 1,
      retrieved: {
        prompt: tagged(rag.prompt),
        extraTokens: ragTokens - estimateTokens(rag.question),
        cacheKey: { question: rag.question, context: rag.cacheContext },
      },
      tools: null,
      toolCalls: false,
      promptTokensEstimate: ragTokens + n * images.keys.tokens,
    };
  }

  let tools: FunctionTools | null = null;
  if (toolsActive) {
    const system = conversation.system || DEFAULT_TOOLS_SYSTEM_PROMPT;
    const json = JSON.stringify(offered.map((t) => ({ type: "function", function: t })));
    tools = { system, json, key: `${system}\u0000${json}` };
  }
  const cold = images.sendable(conversation.turns.slice(built.droppedTurns));
  if (cold.length) {
    notes.push({
      component: "vision",
      message: "images planned",
      fields: { cold: cold.length, added: added.length, trimmed: built.droppedTurns },
    });
  }
  return {
    kind: "chat",
    ...common,
    enableThinking: decision.enableThinking,
    implicitThink: decision.enableThinking && entry.thinkPrefilled,
    coldPrompt: built.prompt,
    images: { cold, added },
    coldHoldsConversation: true,
    tools,
    toolCalls: toolsActive,
    promptTokensEstimate: built.estimatedTokens,
  };
}

function planTask(
  task: TaskKind,
  messages: ChatMessage[],
  entry: ModelEntry,
  budget: number,
  settings: PlanSettings,
  keys: ImageKeys,
): TurnPlan {
  if (settings.taskModes[task] === "shortcut") {
    return {
      kind: "replay",
      content: shortcutReply(task, messages),
      promptText: messages.map((m) => m.content).join("\n"),
      notes: [{ component: "task", message: "answered without the NPU", fields: { task } }],
    };
  }
  const conversation = normaliseConversation(messages, keys);
  // A background task (title, tags, follow-ups) is asked about the text only.
  const built = buildPrompt(textOnly(conversation), budget);
  const instruction = settings.taskModes[task] === "continue"
    ? continuationInstruction(messages)
    : null;
  return {
    kind: "task",
    task,
    enableThinking: false,
    implicitThink: false,
    maxTokens: Math.min(settings.taskMaxTokens, entry.maxNewTokens),
    stop: [],
    ignoredParams: [],
    budget,
    conversation,
    coldPrompt: built.prompt,
    images: NO_IMAGES,
    coldHoldsConversation: false,
    tools: null,
    toolCalls: false,
    rewrite: (content) => normaliseTaskReply(task, content, messages),
    continuation: instruction === null ? undefined : {
      instruction,
      promptTokens: estimateTokens(instruction),
      matches: (turns) => historyEndsWith(messages, turns),
      fallback: shortcutReply(task, messages),
    },
    promptTokensEstimate: built.estimatedTokens,
    notes: [],
  };
}

function textOnly(conv: CachedConversation): CachedConversation {
  return {
    system: conv.system,
    turns: conv.turns.map((t) => ({ role: t.role, content: t.content })),
  };
}
