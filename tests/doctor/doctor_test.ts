import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compareVersions,
  type DoctorFacts,
  formatReport,
  runChecks,
} from "../../src/doctor/checks.ts";
import { gatherFacts, parseDriverVersion, parseMemAvailable } from "../../src/doctor/gather.ts";
import { RUN_MAIN } from "../support/mock.ts";

const GOOD: DoctorFacts = {
  compatible: ["xunlong,orangepi-5-plus", "rockchip,rk3588"],
  driverVersion: "0.9.8",
  library: {
    candidates: ["/usr/lib/librkllmrt.so"],
    found: "/usr/lib/librkllmrt.so",
    version: "1.2.3",
    hash: "0084abc34ab43359cfa9fd5d4c92ece34127dbd0",
    abi: "ABI 1.2.3 (runtime 1.2.3 (file hash))",
    loadError: null,
  },
  models: {
    dir: "/home/pi/models",
    exists: true,
    count: 2,
    unreadable: [],
    largestBytes: 4 * 2 ** 30,
    largestId: "qwen3-4b",
  },
  devices: [{ path: "/dev/dri/renderD129", accessible: true }],
  governors: [{ path: "/sys/class/devfreq/fdab0000.npu/governor", value: "performance" }],
  port: { host: "0.0.0.0", port: 8000, free: true },
  memAvailableBytes: 12 * 2 ** 30,
};

function statusOf(facts: DoctorFacts, name: string): string {
  return runChecks(facts).find((r) => r.name === name)!.status;
}

Deno.test("doctor checks pass on a healthy board", () => {
  assert.ok(runChecks(GOOD).every((r) => r.status === "pass"), formatReport(runChecks(GOOD)));
});

Deno.test("doctor checks flag each missing or wrong part with a fix", async (t) => {
  const rows: [string, Partial<DoctorFacts>, string, string][] = [
    ["not an RK3588", { compatible: ["raspberrypi,5"] }, "board", "warn"],
    ["old driver", { driverVersion: "0.9.6" }, "NPU driver", "fail"],
    ["newer driver compares numerically", { driverVersion: "0.10.0" }, "NPU driver", "pass"],
    ["no driver", { driverVersion: null }, "NPU driver", "fail"],
    ["no library", { library: { ...GOOD.library, found: null } }, "runtime library", "fail"],
    [
      "wrong arch library",
      { library: { ...GOOD.library, loadError: "wrong ELF class" } },
      "runtime library",
      "fail",
    ],
    [
      "runtime 1.3.0 is supported",
      { library: { ...GOOD.library, version: "1.3.0" } },
      "runtime library",
      "pass",
    ],
    [
      "an unsupported runtime is refused when opened",
      {
        library: { ...GOOD.library, version: "1.1.4", loadError: "runtime 1.1.4 is not supported" },
      },
      "runtime library",
      "fail",
    ],
    ["unknown build", { library: { ...GOOD.library, version: null } }, "runtime library", "warn"],
    ["no models folder", { models: { ...GOOD.models, exists: false } }, "models", "fail"],
    ["no models", { models: { ...GOOD.models, count: 0, largestId: null } }, "models", "fail"],
    [
      "unreadable model",
      { models: { ...GOOD.models, unreadable: ["/m/x.rkllm"] } },
      "models",
      "fail",
    ],
    ["no device node", { devices: [] }, "device access", "fail"],
    [
      "device not accessible",
      { devices: [{ path: "/dev/rknpu", accessible: false }] },
      "device access",
      "fail",
    ],
    [
      "slow governor",
      { governors: [{ path: "g", value: "ondemand" }] },
      "frequency governors",
      "warn",
    ],
    ["port in use", { port: { host: "0.0.0.0", port: 8000, free: false } }, "port", "fail"],
    ["little memory", { memAvailableBytes: 2 ** 30 }, "memory", "warn"],
  ];
  for (const [name, patch, check, status] of rows) {
    await t.step(name, () => {
      const result = runChecks({ ...GOOD, ...patch }).find((r) => r.name === check)!;
      assert.equal(result.status, status);
      if (status !== "pass") assert.ok(result.fix || status === "warn", "failures carry a fix");
    });
  }
  assert.equal(statusOf(GOOD, "port"), "pass");
});

Deno.test("compareVersions() compares numerically", () => {
  assert.equal(compareVersions("0.10.0", "0.9.8"), 1);
  assert.equal(compareVersions("0.9.8", "0.9.8"), 0);
  assert.equal(compareVersions("0.9.6", "0.9.8"), -1);
  assert.equal(compareVersions("1", "0.9.8"), 1);
});

Deno.test("parsers read the driver version and available memory", () => {
  assert.equal(parseDriverVersion("RKNPU driver: v0.9.8\n"), "0.9.8");
  assert.equal(parseDriverVersion("0.9.6"), "0.9.6");
  assert.equal(parseDriverVersion(null), null);
  assert.equal(parseMemAvailable("MemTotal: 100 kB\nMemAvailable:    2048 kB\n"), 2048 * 1024);
  assert.equal(parseMemAvailable("nothing"), null);
});

Deno.test("gatherFacts() reads a fake board tree", async () => {
  const root = await Deno.makeTempDir();
  try {
    const put = async (path: string, text: string) => {
      await Deno.mkdir(join(root, path, ".."), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    };
    await put("proc/device-tree/compatible", "xunlong,orangepi-5-plus\0rockchip,rk3588\0");
    await put("sys/kernel/debug/rknpu/version", "RKNPU driver: v0.9.8\n");
    await put("sys/class/devfreq/fdab0000.npu/governor", "rknpu_ondemand\n");
    await put("sys/devices/system/cpu/cpufreq/policy0/scaling_governor", "performance\n");
    await put("dev/dri/renderD129", "");
    await put("proc/meminfo", "MemAvailable: 1048576 kB\n");
    const facts = gatherFacts({
      root,
      host: "127.0.0.1",
      port: 0,
      modelsDir: root,
      models: [],
      library: GOOD.library,
    });
    assert.deepEqual(facts.compatible, ["xunlong,orangepi-5-plus", "rockchip,rk3588"]);
    assert.equal(facts.driverVersion, "0.9.8");
    assert.deepEqual(facts.devices, [{ path: join(root, "dev/dri/renderD129"), accessible: true }]);
    assert.deepEqual(facts.governors.map((g) => g.value), ["rknpu_ondemand", "performance"]);
    assert.equal(facts.memAvailableBytes, 2 ** 30);
    assert.equal(facts.port.free, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("rkllm-api doctor on a machine without an NPU reports each part and exits 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      ...RUN_MAIN,
      "doctor",
      "--lib",
      "/nonexistent/librkllmrt.so",
      "--models",
      "/nonexistent",
      "--port",
      "0",
    ],
    env: { NO_COLOR: "1", RKLLM_ROOT: "/nonexistent-root" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 1);
  for (
    const line of [
      /FAIL\s+NPU driver/,
      /FAIL\s+runtime library.*\/nonexistent\/librkllmrt\.so/,
      /FAIL\s+models/,
      /FAIL\s+device access/,
    ]
  ) {
    assert.match(text, line);
  }
  assert.match(text, /fix: /);
});
