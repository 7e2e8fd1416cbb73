import assert from "node:assert/strict";
import { createApp } from "../src/app.ts";
import { silentLogger } from "../src/log.ts";
import { parseNpuLoad } from "../src/metrics/npu_sysfs.ts";
import { Counter, Histogram, Registry } from "../src/metrics/prometheus.ts";
import { ServerMetrics } from "../src/metrics/server_metrics.ts";
import { FakeService } from "./support/fake_service.ts";

Deno.test("Registry renders counters and histograms in the exposition format", () => {
  const r = new Registry();
  const c = r.register(new Counter("x_total", "Things."));
  c.inc({ b: "2", a: 'q"1' });
  c.inc({ a: 'q"1', b: "2" }, 2);
  const h = r.register(new Histogram("d_seconds", "Durations.", [0.1, 1]));
  h.observe({}, 0.05);
  h.observe({}, 0.5);
  h.observe({}, 5);
  assert.equal(
    r.render(),
    [
      "# HELP x_total Things.",
      "# TYPE x_total counter",
      'x_total{a="q\\"1",b="2"} 3',
      "# HELP d_seconds Durations.",
      "# TYPE d_seconds histogram",
      'd_seconds_bucket{le="0.1"} 1',
      'd_seconds_bucket{le="1"} 2',
      'd_seconds_bucket{le="+Inf"} 3',
      "d_seconds_sum 5.55",
      "d_seconds_count 3",
      "",
    ].join("\n"),
  );
});

Deno.test("parseNpuLoad() reads the RKNPU driver's load line", () => {
  assert.deepEqual(parseNpuLoad("NPU load:  Core0:  5%, Core1:  0%, Core2: 12%,\n"), [
    { core: "0", percent: 5 },
    { core: "1", percent: 0 },
    { core: "2", percent: 12 },
  ]);
  assert.deepEqual(parseNpuLoad("garbage"), []);
});

Deno.test("/metrics counts requests by route, runs and tokens, and reads NPU gauges", async () => {
  const service = new FakeService();
  service.loaded = "qwen3-1.7b";
  const metrics = new ServerMetrics();
  const app = createApp({
    service,
    log: silentLogger,
    keepAliveSeconds: 0,
    maxBodyBytes: 1 << 20,
    runtime: "fake",
    metrics,
    npuStats: () => ({ loads: [{ core: "0", percent: 37 }], frequencyHz: 1_000_000_000 }),
  });
  await (await app.request("/v1/models")).body?.cancel();
  await (await app.request("/v1/models/phi")).body?.cancel();
  await (await app.request("/nope")).body?.cancel();
  metrics.runEnded({
    model: "qwen3-1.7b",
    kind: "chat",
    promptTokens: 12,
    completionTokens: 30,
    prefillSeconds: 0.09,
    decodeSeconds: 2.2,
    result: "finish",
  });
  metrics.queueWait(0.3);
  const text = await (await app.request("/metrics")).text();
  for (
    const line of [
      'rkllm_http_requests_total{route="/v1/models",status="200"} 1',
      'rkllm_http_requests_total{route="/v1/models/:id{.+}",status="200"} 1',
      'rkllm_http_requests_total{route="unmatched",status="404"} 1',
      'rkllm_prompt_tokens_total{model="qwen3-1.7b"} 12',
      'rkllm_completion_tokens_total{model="qwen3-1.7b"} 30',
      'rkllm_runs_total{kind="chat",model="qwen3-1.7b",result="finish"} 1',
      'rkllm_prefill_seconds_count{model="qwen3-1.7b"} 1',
      "rkllm_queue_wait_seconds_count 1",
      'rkllm_model_loaded{model="qwen3-1.7b"} 1',
      "rkllm_queue_depth 0",
      'rkllm_npu_load_percent{core="0"} 37',
      "rkllm_npu_frequency_hz 1000000000",
    ]
  ) {
    assert.ok(text.includes(line), `missing: ${line}\n${text}`);
  }
});
