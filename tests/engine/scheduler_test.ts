/**
 * Tests for src/engine/scheduler.ts with a fake NpuBackend: FIFO leases, the bounded queue
 * (depth, wait, abort), model loading and switching, status, idle unloading and shutdown.
 * Every test closes its scheduler, so no timer outlives it (resource sanitizers stay on).
 */

import assert from "node:assert/strict";
import { ServerBusyError, ShuttingDownError } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import type {
  ModelLoadParams,
  NpuBackend,
  NpuModel,
  NpuRun,
  VisionEncoder,
} from "../../src/rkllm/npu.ts";
import { DEFAULT_SAMPLING } from "../../src/models/sampling.ts";
import { type Lease, Scheduler, type SchedulerOptions } from "../../src/engine/scheduler.ts";
import { ModelSessions } from "../../src/engine/session.ts";
import { httpError } from "../../src/http/errors.ts";

/** Records every call in one log, so tests can check the order of loads and destroys. */
class FakeModel implements NpuModel {
  readonly #path: string;
  readonly #calls: string[];
  constructor(path: string, calls: string[]) {
    this.#path = path;
    this.#calls = calls;
  }
  run(): NpuRun {
    throw new Error("FakeModel.run is not used by the scheduler");
  }
  clearKvCache(): Promise<void> {
    return Promise.resolve();
  }
  clearKvCacheRange(): Promise<void> {
    return Promise.resolve();
  }
  kvCacheSize(): Promise<number | null> {
    return Promise.resolve(null);
  }
  loadPromptCache(): Promise<void> {
    return Promise.resolve();
  }
  releasePromptCache(): Promise<void> {
    return Promise.resolve();
  }
  setFunctionTools(): Promise<void> {
    return Promise.resolve();
  }
  destroy(): Promise<void> {
    this.#calls.push(`destroy ${this.#path}`);
    return Promise.resolve();
  }
}

/** `load` records the call and, when `manual`, waits until the test calls `finishLoad()`. */
class FakeBackend implements NpuBackend {
  readonly description = "fake backend";
  readonly perRunSampling = false;
  readonly calls: string[] = [];
  manual = false;
  failNextLoad: Error | null = null;
  #pending: PromiseWithResolvers<void>[] = [];

  async load(params: ModelLoadParams): Promise<NpuModel> {
    this.calls.push(`load ${params.modelPath}`);
    if (this.manual) {
      const gate = Promise.withResolvers<void>();
      this.#pending.push(gate);
      await gate.promise;
    }
    const err = this.failNextLoad;
    this.failNextLoad = null;
    if (err) throw err;
    return new FakeModel(params.modelPath, this.calls);
  }

  failNextEncoder: Error | null = null;

  loadVisionEncoder(path: string): Promise<VisionEncoder> {
    this.calls.push(`load encoder ${path}`);
    const err = this.failNextEncoder;
    this.failNextEncoder = null;
    if (err) return Promise.reject(err);
    const calls = this.calls;
    return Promise.resolve({
      input: { width: 8, height: 8, channels: 3, layout: "NHWC", type: "uint8" },
      nTokens: 1,
      embedDim: 1,
      floatsPerImage: 1,
      encode: () => Promise.resolve(new Float32Array(1)),
      destroy() {
        calls.push(`destroy encoder ${path}`);
        return Promise.resolve();
      },
    });
  }

  finishLoad(): void {
    const gate = this.#pending.shift();
    assert.ok(gate, "no load is pending");
    gate.resolve();
  }

  close(): void {}
}

const OPTS: SchedulerOptions = { queueDepth: 8, queueTimeoutMs: 10_000, idleUnloadMs: 0 };

function setup(
  opts: Partial<SchedulerOptions> = {},
): { backend: FakeBackend; scheduler: Scheduler } {
  const backend = new FakeBackend();
  return { backend, scheduler: new Scheduler(backend, { ...OPTS, ...opts }, silentLogger) };
}

/** Load parameters for model `id`; its modelPath is the id, so the call log reads "load a". */
function params(id: string): () => ModelLoadParams {
  return () => ({
    modelPath: id,
    contextLength: 4096,
    maxNewTokens: 2048,
    sampling: { ...DEFAULT_SAMPLING },
    cpuMask: 0xf0,
    baseDomainId: 0,
    embedFlash: true,
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 5 ms until it holds; fails after `timeoutMs` (timing-robust waits). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(5);
  }
}

/** Lets every pending promise callback run. */
function tick(): Promise<void> {
  return delay(0);
}

/** Follows a promise's state without awaiting it. */
function track<T>(p: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

/** Checks the 503 an overloaded queue answers with. */
function isBusy(retryAfter: string, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ServerBusyError, `expected ServerBusyError, got ${err}`);
    assert.equal(httpError(err).status, 503);
    assert.equal(err.code, "server_busy");
    assert.equal(httpError(err).headers["Retry-After"], retryAfter);
    assert.match(err.message, message);
    return true;
  };
}

function isShuttingDown(err: unknown): boolean {
  assert.ok(err instanceof ShuttingDownError, `expected ShuttingDownError, got ${err}`);
  assert.equal(httpError(err).status, 503);
  assert.equal(err.code, "shutting_down");
  return true;
}

Deno.test("Scheduler.acquire() grants leases one at a time in arrival order", async (t) => {
  const { scheduler } = setup();
  const holder = await scheduler.acquire();
  const order: number[] = [];
  const waiting = [1, 2, 3].map((n) =>
    scheduler.acquire().then((lease) => {
      order.push(n);
      return lease;
    })
  );
  await tick();

  await t.step("the first caller gets the NPU at once, the others wait", () => {
    assert.deepEqual(order, []);
    assert.deepEqual(scheduler.status(), {
      loadedModel: null,
      loadingModel: null,
      busy: true,
      queued: 3,
    });
  });
  let previous: Lease = holder;
  for (const [i, expected] of [[1], [1, 2], [1, 2, 3]].entries()) {
    await t.step(`releasing the holder grants waiter ${i + 1} only`, async () => {
      previous.release();
      await tick();
      assert.deepEqual(order, expected);
      assert.equal(scheduler.status().queued, 2 - i);
      assert.equal(scheduler.status().busy, true);
      previous = await waiting[i];
    });
  }
  await t.step("releasing the last lease leaves the NPU free", () => {
    previous.release();
    assert.deepEqual(scheduler.status(), {
      loadedModel: null,
      loadingModel: null,
      busy: false,
      queued: 0,
    });
  });
  await scheduler.close(0);
});

Deno.test("Scheduler.acquire() answers 503 when the queue is full", async (t) => {
  await t.step("queue depth 2: the third waiter is refused at once", async () => {
    const { scheduler } = setup({ queueDepth: 2, queueTimeoutMs: 60_000 });
    const holder = await scheduler.acquire();
    const first = scheduler.acquire();
    const second = scheduler.acquire();
    // No lease has ended yet and the holder just started: the estimate is its floor.
    await assert.rejects(scheduler.acquire(), isBusy("1", /2 request\(s\) are already waiting/));
    assert.equal(scheduler.status().queued, 2);
    holder.release();
    (await first).release();
    (await second).release();
    assert.equal(scheduler.status().busy, false);
    await scheduler.close(0);
  });
  await t.step("queue depth 0: nobody may wait", async () => {
    const { scheduler } = setup({ queueDepth: 0, queueTimeoutMs: 1000 });
    const holder = await scheduler.acquire();
    await assert.rejects(scheduler.acquire(), isBusy("1", /busy/));
    holder.release();
    await scheduler.close(0);
  });
});

Deno.test("Scheduler.acquire() answers 503 when the wait exceeds queueTimeoutMs", async () => {
  const { scheduler } = setup({ queueTimeoutMs: 30 });
  const holder = await scheduler.acquire();
  const waiter = track(scheduler.acquire());
  await tick();
  assert.equal(waiter.settled, false);
  assert.equal(scheduler.status().queued, 1);
  await waitFor(() => waiter.settled, "the waiter gives up");
  assert.ok(isBusy("1", /Waited 0\.03s/)(waiter.error));
  assert.equal(scheduler.status().queued, 0);
  assert.equal(scheduler.status().busy, true);
  holder.release();
  assert.equal(scheduler.status().busy, false, "the timed-out waiter must not be granted");
  await scheduler.close(0);
});

Deno.test("Scheduler.acquire() honours an AbortSignal", async (t) => {
  await t.step(
    "aborting removes the waiter from the queue and rejects with the reason",
    async () => {
      const { scheduler } = setup();
      const holder = await scheduler.acquire();
      const controller = new AbortController();
      const order: string[] = [];
      const first = scheduler.acquire().then((l) => (order.push("first"), l));
      const aborted = track(scheduler.acquire(controller.signal));
      const third = scheduler.acquire().then((l) => (order.push("third"), l));
      await tick();
      assert.equal(scheduler.status().queued, 3);
      const reason = new Error("client went away");
      controller.abort(reason);
      await tick();
      assert.equal(aborted.error, reason);
      assert.equal(scheduler.status().queued, 2);
      holder.release();
      (await first).release();
      (await third).release();
      assert.deepEqual(order, ["first", "third"]);
      assert.equal(scheduler.status().busy, false);
      await scheduler.close(0);
    },
  );
  await t.step("an already aborted signal gives a rejected promise, not a throw", async () => {
    const { scheduler } = setup();
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    let promise: Promise<Lease> | undefined;
    assert.doesNotThrow(() => promise = scheduler.acquire(controller.signal));
    await assert.rejects(promise!, /gone/);
    assert.equal(scheduler.status().busy, false);
    await scheduler.close(0);
  });
  await t.step("aborting after the grant changes nothing", async () => {
    const { scheduler } = setup();
    const controller = new AbortController();
    const lease = await scheduler.acquire(controller.signal);
    controller.abort();
    assert.equal(scheduler.status().busy, true);
    lease.release();
    await scheduler.close(0);
  });
});

Deno.test("Lease.ensureLoaded() loads, reuses and switches models", async (t) => {
  const { backend, scheduler } = setup();
  const sessions = new ModelSessions(silentLogger);
  const lease = await scheduler.acquire();
  let paramCalls = 0;
  const counted = (id: string) => () => {
    paramCalls++;
    return params(id)();
  };

  const a = await lease.ensureLoaded("a", counted("a"));
  await t.step("the first call loads the model with fresh KV state", () => {
    assert.equal(a.id, "a");
    assert.equal(sessions.of(a.npu, { id: "a", contextLength: 4096 }).held, null);
    assert.deepEqual(backend.calls, ["load a"]);
    assert.equal(scheduler.status().loadedModel, "a");
  });
  await t.step("asking for the loaded model reuses it without loading", async () => {
    const again = await lease.ensureLoaded("a", counted("a"));
    assert.equal(again, a);
    assert.equal(
      sessions.of(again.npu, { id: "a", contextLength: 4096 }),
      sessions.of(a.npu, { id: "a", contextLength: 4096 }),
      "the same KV session",
    );
    assert.deepEqual(backend.calls, ["load a"]);
    assert.equal(paramCalls, 1, "params() is only called for a real load");
  });
  await t.step("switching destroys the loaded model before loading the other", async () => {
    const b = await lease.ensureLoaded("b", counted("b"));
    assert.equal(b.id, "b");
    assert.equal(sessions.of(b.npu, { id: "b", contextLength: 4096 }).held, null);
    assert.notEqual(
      sessions.of(b.npu, { id: "b", contextLength: 4096 }),
      sessions.of(a.npu, { id: "a", contextLength: 4096 }),
    );
    assert.deepEqual(backend.calls, ["load a", "destroy a", "load b"]);
    assert.equal(scheduler.status().loadedModel, "b");
  });
  await t.step("unload() destroys the model and returns its id, then null", async () => {
    assert.equal(await lease.unload("test"), "b");
    assert.equal(await lease.unload("test"), null);
    assert.deepEqual(backend.calls, ["load a", "destroy a", "load b", "destroy b"]);
    assert.equal(scheduler.status().loadedModel, null);
  });
  lease.release();
  await scheduler.close(0);
});

Deno.test("Lease.ensureLoaded() loads a vision model's encoder with it and frees both", async (t) => {
  const encoder = (path: string) => () => ({ path, opts: { coreMask: 0 } });
  await t.step("switch, unload and idle unload free the encoder, then the model", async () => {
    const { backend, scheduler } = setup({ idleUnloadMs: 20 });
    const lease = await scheduler.acquire();
    const vl = await lease.ensureLoaded("vl", params("vl"), encoder("vl.rknn"));
    assert.ok(vl.vision);
    await lease.ensureLoaded("a", params("a"));
    await lease.ensureLoaded("vl", params("vl"), encoder("vl.rknn"));
    await lease.unload("test");
    await lease.ensureLoaded("vl", params("vl"), encoder("vl.rknn"));
    lease.release();
    await waitFor(() => scheduler.status().loadedModel === null, "the idle unload");
    const cycle = ["load vl", "load encoder vl.rknn", "destroy encoder vl.rknn", "destroy vl"];
    // Loaded, switched away (freed), loaded, unloaded, loaded, idle-unloaded.
    assert.deepEqual(backend.calls, [...cycle, "load a", "destroy a", ...cycle, ...cycle]);
    await scheduler.close(0);
  });
  await t.step(
    "an encoder that fails to load frees the language model: nothing is loaded",
    async () => {
      const { backend, scheduler } = setup();
      backend.failNextEncoder = new Error("no librknnrt.so");
      const lease = await scheduler.acquire();
      await assert.rejects(
        lease.ensureLoaded("vl", params("vl"), encoder("vl.rknn")),
        /no librknnrt\.so/,
      );
      assert.deepEqual(backend.calls, ["load vl", "load encoder vl.rknn", "destroy vl"]);
      assert.equal(scheduler.status().loadedModel, null);
      lease.release();
      await scheduler.close(0);
    },
  );
  await t.step("close() frees a loaded vision model", async () => {
    const { backend, scheduler } = setup();
    const lease = await scheduler.acquire();
    await lease.ensureLoaded("vl", params("vl"), encoder("vl.rknn"));
    lease.release();
    await scheduler.close(0);
    assert.deepEqual(backend.calls.slice(-2), ["destroy encoder vl.rknn", "destroy vl"]);
  });
});

Deno.test("Scheduler.status() shows a pending load", async (t) => {
  const { backend, scheduler } = setup();
  backend.manual = true;
  const lease = await scheduler.acquire();
  const loading = lease.ensureLoaded("a", params("a"));
  await tick();
  await t.step("loadingModel is set and busy is true while the load is pending", () => {
    assert.deepEqual(scheduler.status(), {
      loadedModel: null,
      loadingModel: "a",
      busy: true,
      queued: 0,
    });
  });
  await t.step("loadedModel is set once the load finishes", async () => {
    backend.finishLoad();
    await loading;
    assert.deepEqual(scheduler.status(), {
      loadedModel: "a",
      loadingModel: null,
      busy: true,
      queued: 0,
    });
  });
  await t.step("a failed load clears loadingModel and leaves nothing loaded", async () => {
    backend.failNextLoad = new Error("rkllm_init failed");
    const failing = lease.ensureLoaded("b", params("b"));
    await tick();
    assert.equal(scheduler.status().loadingModel, "b");
    assert.equal(scheduler.status().loadedModel, null, "a was unloaded before loading b");
    backend.finishLoad();
    await assert.rejects(failing, /rkllm_init failed/);
    assert.deepEqual(scheduler.status(), {
      loadedModel: null,
      loadingModel: null,
      busy: true,
      queued: 0,
    });
    assert.deepEqual(backend.calls, ["load a", "destroy a", "load b"]);
  });
  lease.release();
  assert.equal(scheduler.status().busy, false);
  await scheduler.close(0);
});

Deno.test("Scheduler unloads an idle model after idleUnloadMs", async (t) => {
  await t.step("the model is destroyed once the NPU has been idle long enough", async () => {
    const { backend, scheduler } = setup({ idleUnloadMs: 20 });
    const lease = await scheduler.acquire();
    await lease.ensureLoaded("a", params("a"));
    lease.release();
    assert.equal(scheduler.status().loadedModel, "a");
    await waitFor(() => scheduler.status().loadedModel === null, "the model is unloaded");
    await waitFor(() => !scheduler.status().busy, "the idle unload releases the NPU");
    assert.deepEqual(backend.calls, ["load a", "destroy a"]);
    assert.deepEqual(scheduler.status(), {
      loadedModel: null,
      loadingModel: null,
      busy: false,
      queued: 0,
    });
    await scheduler.close(0);
    assert.deepEqual(backend.calls, ["load a", "destroy a"], "close() destroys nothing twice");
  });
  await t.step("a lease taken in time postpones the unload", async () => {
    const { backend, scheduler } = setup({ idleUnloadMs: 80 });
    const first = await scheduler.acquire();
    await first.ensureLoaded("a", params("a"));
    first.release();
    await delay(10);
    const second = await scheduler.acquire();
    await delay(120);
    assert.equal(scheduler.status().loadedModel, "a", "no unload while a lease is held");
    await second.ensureLoaded("a", params("a"));
    second.release();
    await delay(10);
    assert.equal(scheduler.status().loadedModel, "a", "the idle time restarts at release");
    await waitFor(() => scheduler.status().loadedModel === null, "the model is unloaded");
    assert.deepEqual(backend.calls, ["load a", "destroy a"]);
    await scheduler.close(0);
  });
  await t.step("idleUnloadMs 0 never unloads", async () => {
    const { backend, scheduler } = setup({ idleUnloadMs: 0 });
    const lease = await scheduler.acquire();
    await lease.ensureLoaded("a", params("a"));
    lease.release();
    await delay(50);
    assert.equal(scheduler.status().loadedModel, "a");
    assert.deepEqual(backend.calls, ["load a"]);
    await scheduler.close(0);
    assert.deepEqual(backend.calls, ["load a", "destroy a"]);
  });
});

Deno.test("Scheduler.close() shuts the NPU down", async (t) => {
  await t.step(
    "fails waiters, interrupts the holder, waits for its release, then destroys",
    async () => {
      const { backend, scheduler } = setup();
      const lease = await scheduler.acquire();
      await lease.ensureLoaded("a", params("a"));
      const waiters = [track(scheduler.acquire()), track(scheduler.acquire())];
      lease.onInterrupt = () => {
        backend.calls.push("interrupt");
        // The holder's native call settles a little later.
        setTimeout(() => {
          backend.calls.push("release");
          lease.release();
        }, 10);
      };
      const closed = track(scheduler.close(1000));
      await tick();
      for (const w of waiters) assert.ok(isShuttingDown(w.error));
      assert.equal(scheduler.status().queued, 0);
      assert.equal(closed.settled, false, "close() waits for the holder");
      assert.deepEqual(backend.calls, ["load a", "interrupt"]);
      await waitFor(() => closed.settled, "close() returns");
      assert.equal(closed.error, undefined);
      assert.deepEqual(backend.calls, ["load a", "interrupt", "release", "destroy a"]);
      assert.equal(scheduler.status().loadedModel, null);
      await assert.rejects(scheduler.acquire(), isShuttingDown);
    },
  );
  await t.step("gives up waiting after graceMs and destroys the model anyway", async () => {
    const { backend, scheduler } = setup();
    const lease = await scheduler.acquire();
    await lease.ensureLoaded("a", params("a"));
    const started = performance.now();
    await scheduler.close(20);
    assert.ok(performance.now() - started >= 15, "close() waited for the grace period");
    assert.deepEqual(backend.calls, ["load a", "destroy a"]);
    lease.release();
  });
  await t.step("with nothing loaded or held, returns at once", async () => {
    const { backend, scheduler } = setup();
    await scheduler.close(10_000);
    assert.deepEqual(backend.calls, []);
  });
});

Deno.test("Lease cannot be used after release()", async (t) => {
  const { backend, scheduler } = setup();
  const lease = await scheduler.acquire();
  const next = scheduler.acquire();
  lease.release();
  const holder = await next;
  await t.step("released is true", () => {
    assert.equal(lease.released, true);
    assert.equal(holder.released, false);
  });
  await t.step("ensureLoaded() throws", () => {
    assert.throws(() => lease.ensureLoaded("a", params("a")), /lease already released/);
    assert.deepEqual(backend.calls, []);
  });
  await t.step("unload() throws", () => {
    assert.throws(() => lease.unload("test"), /lease already released/);
  });
  await t.step("a second release() does not release the next holder", () => {
    lease.release();
    assert.equal(scheduler.status().busy, true);
    assert.equal(holder.released, false);
  });
  await t.step("whenReleased() has settled", async () => {
    const settled = track(lease.whenReleased());
    await tick();
    assert.equal(settled.settled, true);
  });
  holder.release();
  await scheduler.close(0);
});

Deno.test("Scheduler.idleUnloadAt() says when the idle unload would happen", async () => {
  const { scheduler } = setup({ idleUnloadMs: 60_000 });
  assert.equal(scheduler.idleUnloadAt(), null, "nothing loaded");
  const lease = await scheduler.acquire();
  await lease.ensureLoaded("a", params("a"));
  const busy = scheduler.idleUnloadAt()!;
  assert.ok(Math.abs(busy - (Date.now() + 60_000)) < 1000, "while busy: as if released now");
  lease.release();
  const armed = scheduler.idleUnloadAt()!;
  assert.ok(armed >= busy && armed - Date.now() <= 60_000);
  await scheduler.close(0);
  const off = setup({ idleUnloadMs: 0 }).scheduler;
  const l2 = await off.acquire();
  await l2.ensureLoaded("a", params("a"));
  assert.equal(off.idleUnloadAt(), null, "idle unloading off");
  l2.release();
  await off.close(0);
});

Deno.test("Scheduler: Retry-After is the expected wait from the lease durations seen", async () => {
  let now = 0;
  const { scheduler } = setup({ queueDepth: 2, queueTimeoutMs: 600_000, now: () => now });
  for (const ms of [20_000, 20_000]) {
    const lease = await scheduler.acquire();
    now += ms;
    lease.release();
  }
  const holder = await scheduler.acquire();
  now += 5_000;
  const first = scheduler.acquire();
  const second = scheduler.acquire();
  // Two ahead plus the holder's remaining 15 s: 3 × 20 s − 5 s.
  await assert.rejects(scheduler.acquire(), isBusy("55", /already waiting/));
  holder.release();
  (await first).release();
  (await second).release();
  await scheduler.close(0);
});
