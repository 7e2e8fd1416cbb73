/**
 * A scripted ChatService for HTTP tests: replies with the events it is given, records the
 * requests it received, and can be told to fail at start.
 */
import type {
  ChatEvent,
  ChatGeneration,
  ChatRequest,
  ChatService,
  EmbeddingResult,
  EngineStatus,
  ModelInfo,
} from "../../src/engine/types.ts";
import { createApp } from "../../src/app.ts";
import { ModelNotFoundError } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import type { ModelAdmin } from "../../src/models/admin.ts";

export const FAKE_MODELS: ModelInfo[] = [
  {
    id: "qwen3-1.7b",
    aliases: [],
    contextLength: 4096,
    capabilities: ["thinking", "instruct"],
    sizeBytes: 1,
    fileName: "a.rkllm",
  },
  {
    id: "phi-3-mini-4k-instruct",
    aliases: ["phi"],
    contextLength: 4096,
    capabilities: ["instruct"],
    sizeBytes: 1,
    fileName: "b.rkllm",
  },
];

export class FakeService implements ChatService {
  requests: ChatRequest[] = [];
  cancelled = 0;
  script: ChatEvent[] = [
    { type: "reasoning", text: "thinking" },
    { type: "content", text: "Hello" },
    { type: "content", text: " world" },
    {
      type: "done",
      finishReason: "stop",
      usage: { promptTokens: 5, completionTokens: 3, totalTokens: 8 },
    },
  ];
  startError: Error | null = null;
  ignoredParams: string[] = [];
  /** Delay between events (ms). */
  delayMs = 0;
  loaded: string | null = null;
  busy = false;

  listModels(): ModelInfo[] {
    return FAKE_MODELS;
  }

  findModel(name: string): ModelInfo | undefined {
    const n = name.trim().toLowerCase();
    return FAKE_MODELS.find((m) => m.id === n || m.aliases.includes(n));
  }

  status(): EngineStatus {
    return { loadedModel: this.loaded, loadingModel: null, busy: this.busy, queued: 0 };
  }

  start(req: ChatRequest): Promise<ChatGeneration> {
    this.requests.push(req);
    if (this.startError) return Promise.reject(this.startError);
    const model = this.findModel(req.model);
    if (!model) {
      return Promise.reject(new ModelNotFoundError(req.model, FAKE_MODELS.map((m) => m.id)));
    }
    const script = this.script;
    const delay = this.delayMs;
    let cancelled = false;
    const onCancel = () => {
      cancelled = true;
      this.cancelled++;
    };
    async function* events(): AsyncGenerator<ChatEvent> {
      for (const e of script) {
        if (cancelled) return;
        if (delay) await new Promise((r) => setTimeout(r, delay));
        yield e;
      }
    }
    return Promise.resolve({
      requestId: req.requestId,
      model: model.id,
      ignoredParams: this.ignoredParams,
      events: events(),
      cancel: onCancel,
    });
  }

  select(name: string): Promise<string> {
    const model = this.findModel(name);
    if (!model) return Promise.reject(new ModelNotFoundError(name, FAKE_MODELS.map((m) => m.id)));
    this.loaded = model.id;
    return Promise.resolve(model.id);
  }

  embedded: string[][] = [];

  embed(model: string, inputs: readonly string[]): Promise<EmbeddingResult> {
    const found = this.findModel(model);
    if (!found) return Promise.reject(new ModelNotFoundError(model, FAKE_MODELS.map((m) => m.id)));
    this.embedded.push([...inputs]);
    return Promise.resolve({
      model: found.id,
      vectors: inputs.map((t) => Float32Array.from([t.length, 0])),
      promptTokens: inputs.length * 2,
    });
  }

  unload(): Promise<string | null> {
    const was = this.loaded;
    this.loaded = null;
    return Promise.resolve(was);
  }
}

/** The app over a FakeService (or the given service) with a fixed clock, and a JSON POST helper. */
export function fakeApp<S extends ChatService = FakeService>(
  opts: {
    maxBodyBytes?: number;
    apiKey?: string;
    service?: S;
    modelAdmin?: ModelAdmin;
    maxMessages?: number;
  } = {},
) {
  const service = (opts.service ?? new FakeService()) as S;
  const app = createApp({
    service,
    log: silentLogger,
    keepAliveSeconds: 0,
    maxBodyBytes: opts.maxBodyBytes ?? 1024 * 1024,
    runtime: "fake",
    now: () => 1_700_000_000_000,
    apiKey: opts.apiKey,
    modelAdmin: opts.modelAdmin,
    maxMessages: opts.maxMessages,
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { service, app, post };
}
