import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatDuration,
  formatProgressLine,
  RateMeter,
  runPull,
  runRm,
  type Terminal,
} from "../../src/cli/pull.ts";
import { bytesOf, startFakeHub } from "./fake_hub.ts";

function capture(isTerminal: boolean): Terminal & { text: () => string } {
  let text = "";
  return { write: (t) => void (text += t), isTerminal, columns: 100, text: () => text };
}

Deno.test("formatProgressLine: percent, bar, sizes, speed and ETA within the width", () => {
  const line = formatProgressLine({
    label: "pulling 3f2a9c01b7d4",
    completed: 90_000_000,
    total: 200_000_000,
    bytesPerSecond: 10_000_000,
    columns: 100,
  });
  assert.match(
    line,
    /^pulling 3f2a9c01b7d4 {2}45% \[=+>\s*\] 90\.0 MB\/200\.0 MB {2}10\.0 MB\/s {2}ETA 0:11$/,
  );
  assert.ok(line.length <= 100);
  const narrow = formatProgressLine({ label: "pulling x", completed: 1, total: 2, columns: 20 });
  assert.equal(narrow, "pulling x  50% 1 B/2 B");
});

Deno.test("formatDuration and RateMeter", () => {
  assert.equal(formatDuration(9.4), "0:09");
  assert.equal(formatDuration(3725), "1:02:05");
  const meter = new RateMeter(5000);
  meter.add(0, 0);
  assert.equal(meter.rate(), undefined);
  meter.add(1000, 2_000_000);
  assert.equal(meter.rate(), 2_000_000);
  meter.add(10_000, 20_000_000);
  assert.equal(meter.rate(), 2_000_000, "only the last window counts");
  meter.add(11_000, 0);
  assert.equal(meter.rate(), undefined, "a restart resets the meter");
});

Deno.test("runPull / runRm: plain lines when not a terminal, errors on stderr with exit 1", async () => {
  const model = bytesOf(300_000, 3);
  const hub = startFakeHub({ repos: { "o/m": { files: [{ path: "m.rkllm", content: model }] } } });
  const dir = await Deno.makeTempDir();
  try {
    const out = capture(false);
    const err = capture(false);
    const code = await runPull("o/m", { modelsDir: dir, endpoint: hub.endpoint, out, err });
    assert.equal(code, 0, err.text());
    assert.deepEqual(await Deno.readFile(join(dir, "m", "m.rkllm")), model);
    const lines = out.text().trimEnd().split("\n");
    assert.equal(lines[0], "pulling manifest");
    assert.ok(lines.some((l) => / 100% \[=+\] 300\.0 KB\/300\.0 KB/.test(l)), out.text());
    assert.ok(!out.text().includes("\r"));
    assert.equal(lines.at(-1), `pulled o/m into ${join(dir, "m")}`);

    const bad = capture(false);
    assert.equal(
      await runPull("o/none", { modelsDir: dir, endpoint: hub.endpoint, out, err: bad }),
      1,
    );
    assert.match(bad.text(), /^error: Hugging Face refused o\/none \(401\)/);

    assert.equal(await runRm("m", { modelsDir: dir, out, err, isLoaded: () => true }), 1);
    assert.match(err.text(), /is loaded/);
    assert.equal(await runRm("m", { modelsDir: dir, out, err }), 0);
    assert.match(out.text(), /deleted .*\/m\n$/);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runPull on a terminal redraws one line per file", async () => {
  const hub = startFakeHub({
    repos: { "o/m": { files: [{ path: "m.rkllm", content: bytesOf(100_000, 4) }] } },
  });
  const dir = await Deno.makeTempDir();
  try {
    const out = capture(true);
    assert.equal(
      await runPull("o/m", { modelsDir: dir, endpoint: hub.endpoint, out, err: out }),
      0,
    );
    const text = out.text();
    assert.match(text, /\rpulling [0-9a-f]{12} 100% \[=+\] 100\.0 KB\/100\.0 KB/);
    assert.ok(
      text.includes("\x1b[K\nverifying sha256 digest\n"),
      "the line is cleared, then closed",
    );
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});
