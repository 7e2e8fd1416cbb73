/**
 * `rkllm-api doctor`: what a board needs, judged from facts gathered elsewhere
 * (src/doctor/gather.ts). One result per check: pass, warn or fail, with the fix. Pure.
 */
import { supportedReleases } from "../rkllm/versions.ts";

export type CheckStatus = "pass" | "warn" | "fail";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export interface DoctorFacts {
  /** /proc/device-tree/compatible entries, or null when unreadable. */
  compatible: string[] | null;
  /** RKNPU driver version such as "0.9.8", or null when not found. */
  driverVersion: string | null;
  library: {
    candidates: string[];
    found: string | null;
    /** Runtime version of a known official build, null when unknown. */
    version: string | null;
    hash: string | null;
    /** The layout chosen for it, with the reason. */
    abi: string | null;
    /** Not loadable, or an ABI the server refuses. */
    loadError: string | null;
  };
  models: {
    dir: string;
    exists: boolean;
    count: number;
    unreadable: string[];
    largestBytes: number;
    largestId: string | null;
  };
  /** NPU device nodes and whether this user can open them read-write. */
  devices: { path: string; accessible: boolean }[];
  governors: { path: string; value: string }[];
  port: { host: string; port: number; free: boolean; error?: string };
  memAvailableBytes: number | null;
}

export const MIN_DRIVER = "0.9.8";
const SUPPORTED = supportedReleases();

/** Numeric comparison of dotted versions ("0.10.0" > "0.9.8"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((n) => parseInt(n, 10) || 0);
  const pb = b.split(".").map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const GiB = 2 ** 30;

function board(f: DoctorFacts): CheckResult {
  const name = "board";
  if (!f.compatible) {
    return { name, status: "warn", detail: "no device tree (not an ARM board?)" };
  }
  const rk = f.compatible.find((c) => /rk3588/.test(c));
  return rk ? { name, status: "pass", detail: f.compatible[0] } : {
    name,
    status: "warn",
    detail: `not an RK3588 (${f.compatible[0] ?? "unknown"})`,
    fix: "rkllm-api targets RK3588/RK3588S boards",
  };
}

function driver(f: DoctorFacts): CheckResult {
  const name = "NPU driver";
  if (!f.driverVersion) {
    return {
      name,
      status: "fail",
      detail: "RKNPU driver not found",
      fix: "use a vendor/Armbian kernel with the RKNPU driver (0.9.8 or newer); " +
        "as root, mount debugfs to read its version",
    };
  }
  return compareVersions(f.driverVersion, MIN_DRIVER) >= 0
    ? { name, status: "pass", detail: `RKNPU ${f.driverVersion}` }
    : {
      name,
      status: "fail",
      detail: `RKNPU ${f.driverVersion} is older than ${MIN_DRIVER}`,
      fix: "upgrade the kernel to a build with RKNPU driver 0.9.8 or newer",
    };
}

function library(f: DoctorFacts): CheckResult {
  const name = "runtime library";
  const l = f.library;
  if (!l.found) {
    return {
      name,
      status: "fail",
      detail: `librkllmrt.so not found (tried ${l.candidates.join(", ")})`,
      fix: `install Rockchip's librkllmrt.so (runtime ${SUPPORTED}) to /usr/lib, ` +
        "or set RKLLM_LIB_PATH / --lib",
    };
  }
  if (l.loadError) {
    return {
      name,
      status: "fail",
      detail: `${l.found} cannot be used: ${l.loadError}`,
      fix: `use the aarch64 librkllmrt.so from rknn-llm release ${SUPPORTED}`,
    };
  }
  if (!l.version) {
    return {
      name,
      status: "warn",
      detail: `${l.found}: unknown build (blob ${l.hash?.slice(0, 12)}); ${l.abi ?? ""}`,
      fix: `official ${SUPPORTED} builds are recognised by hash; set --abi if the guess is wrong`,
    };
  }
  return { name, status: "pass", detail: `runtime ${l.version}: ${l.abi ?? l.found}` };
}

function models(f: DoctorFacts): CheckResult {
  const name = "models";
  const m = f.models;
  if (!m.exists) {
    return {
      name,
      status: "fail",
      detail: `models folder ${m.dir} does not exist`,
      fix: `mkdir -p ${m.dir} and put each model in its own folder: ${m.dir}/<Name>/<file>.rkllm`,
    };
  }
  if (m.unreadable.length) {
    return {
      name,
      status: "fail",
      detail: `cannot read ${m.unreadable.join(", ")}`,
      fix: "chmod a+r the .rkllm files (the service runs as an unprivileged user)",
    };
  }
  if (m.count === 0) {
    return {
      name,
      status: "fail",
      detail: `no .rkllm models in ${m.dir}`,
      fix: `put each model in its own folder: ${m.dir}/<Name>/<file>.rkllm`,
    };
  }
  return { name, status: "pass", detail: `${m.count} model(s) in ${m.dir}` };
}

function devices(f: DoctorFacts): CheckResult {
  const name = "device access";
  if (f.devices.length === 0) {
    return {
      name,
      status: "fail",
      detail: "no NPU device node (/dev/rknpu*, /dev/dri/renderD*)",
      fix: "load the RKNPU driver (modprobe rknpu) or use a kernel that includes it",
    };
  }
  const denied = f.devices.filter((d) => !d.accessible).map((d) => d.path);
  return denied.length === 0
    ? { name, status: "pass", detail: f.devices.map((d) => d.path).join(", ") }
    : {
      name,
      status: "fail",
      detail: `no read-write access to ${denied.join(", ")}`,
      fix: "add the user to the render group (usermod -aG render <user>) and re-login; " +
        "install.sh also writes the udev rule",
    };
}

function governors(f: DoctorFacts): CheckResult {
  const name = "frequency governors";
  if (f.governors.length === 0) {
    return { name, status: "warn", detail: "no NPU/CPU/DDR governors readable" };
  }
  const slow = f.governors.filter((g) => g.value !== "performance");
  return slow.length === 0 ? { name, status: "pass", detail: "performance" } : {
    name,
    status: "warn",
    detail: slow.map((g) => `${g.path}=${g.value}`).join(", "),
    fix: "sudo ./install.sh --freq-fix (sets performance governors at boot; faster tokens)",
  };
}

/** The words for a port that is taken, shared by doctor and by `serve` when it cannot listen. */
export function portInUse(host: string, port: number, error?: string): {
  detail: string;
  fix: string;
} {
  return {
    detail: `${host}:${port} is in use${error ? ` (${error})` : ""}`,
    fix: "stop the other server (systemctl stop rkllm-api?) or choose --port",
  };
}

function port(f: DoctorFacts): CheckResult {
  const name = "port";
  const p = f.port;
  return p.free
    ? { name, status: "pass", detail: `${p.host}:${p.port} is free` }
    : { name, status: "fail", ...portInUse(p.host, p.port, p.error) };
}

function memory(f: DoctorFacts): CheckResult {
  const name = "memory";
  if (f.memAvailableBytes === null) {
    return { name, status: "warn", detail: "cannot read available memory" };
  }
  const avail = `${(f.memAvailableBytes / GiB).toFixed(1)} GiB available`;
  if (!f.models.largestId) return { name, status: "pass", detail: avail };
  // The NPU shares system memory; a model needs about its file size plus the KV cache.
  const need = f.models.largestBytes * 1.2;
  return f.memAvailableBytes >= need
    ? { name, status: "pass", detail: `${avail}, largest model ${f.models.largestId} fits` }
    : {
      name,
      status: "warn",
      detail: `${avail}; ${f.models.largestId} needs about ${(need / GiB).toFixed(1)} GiB`,
      fix: "close other programs or use a smaller (w4a16 / fewer-parameter) model",
    };
}

export function runChecks(f: DoctorFacts): CheckResult[] {
  return [board, driver, library, models, devices, governors, port, memory].map((c) => c(f));
}

const LABEL: Record<CheckStatus, string> = { pass: "PASS", warn: "WARN", fail: "FAIL" };

export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results.map((r) =>
    `${LABEL[r.status]}  ${r.name.padEnd(width)}  ${r.detail}${
      r.fix ? `\n      ${" ".repeat(width)}  fix: ${r.fix}` : ""
    }`
  ).join("\n");
}
