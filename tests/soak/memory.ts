/**
 * The server's memory as the soak reads it: VmRSS from /proc (what the issue bounds), the V8
 * figures `/health` reports (`memory_mb`), and, when the server runs under `--inspect`, the live
 * heap after a full collection (Chrome DevTools Protocol: HeapProfiler.collectGarbage, then
 * Runtime.getHeapUsage). RSS and heap_used move with GC timing by several MB; the live heap
 * after a forced GC does not, so it is the reading that tells V8 settling from a leak.
 */

export interface MemoryReading {
  /** VmRSS, MB; NaN when the process is gone (a crash then shows up in other checks). */
  rss: number;
  /** From /health `memory_mb`; NaN when /health did not answer. */
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Live V8 heap after a full GC, MB; NaN without the inspector. */
  live: number;
}

export async function rssMb(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

async function healthMemory(url: string): Promise<Omit<MemoryReading, "rss" | "live">> {
  try {
    const m = (await (await fetch(`${url}/health`)).json()).memory_mb ?? {};
    return {
      heapUsed: Number(m.heap_used ?? NaN),
      heapTotal: Number(m.heap_total ?? NaN),
      external: Number(m.external ?? NaN),
    };
  } catch {
    return { heapUsed: NaN, heapTotal: NaN, external: NaN };
  }
}

/**
 * RSS and /health first, as the server is; then (with `heap`) a forced full GC and the live heap.
 * The forced GC can only lower later readings, so it never hides growth.
 */
export async function readMemory(
  pid: number,
  url: string,
  heap?: LiveHeap | null,
): Promise<MemoryReading> {
  const rss = await rssMb(pid);
  const health = await healthMemory(url);
  return { rss, ...health, live: heap ? await heap.measure() : NaN };
}

/** The `ws://…` address a server started with `--inspect` printed, from its log lines. */
export function inspectorUrl(logs: readonly string[]): string | null {
  for (const line of logs) {
    const m = line.match(/Debugger listening on (ws:\/\/\S+)/);
    if (m) return m[1];
  }
  return null;
}

/** A minimal DevTools Protocol client: only what a forced GC and a heap reading need. */
export class LiveHeap {
  #ws: WebSocket;
  #nextId = 0;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data));
      const waiter = this.#pending.get(msg.id);
      if (!waiter) return; // an event: none is enabled, but ignore any
      this.#pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else waiter.resolve(msg.result);
    };
    ws.onclose = () => {
      for (const w of this.#pending.values()) w.reject(new Error("inspector connection closed"));
      this.#pending.clear();
    };
  }

  static async connect(url: string): Promise<LiveHeap> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to the inspector at ${url}`));
    });
    return new LiveHeap(ws);
  }

  #call(method: string): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params: {} }));
    });
  }

  /** MB of live V8 heap after a full GC; NaN if the inspector no longer answers. */
  async measure(): Promise<number> {
    try {
      await this.#call("HeapProfiler.collectGarbage");
      const usage = await this.#call("Runtime.getHeapUsage") as { usedSize: number };
      return usage.usedSize / 1024 / 1024;
    } catch {
      return NaN;
    }
  }

  close(): void {
    this.#ws.close();
  }
}
