/**
 * Reads the facts `rkllm-api doctor` judges: device tree, RKNPU driver version, NPU device
 * nodes, governors, the port, available memory, and the models folder. All system paths go
 * under `root` so tests can point it at a fake tree. Library facts come from the caller
 * (main.ts), since only src/rkllm may load the runtime.
 */
import { join } from "node:path";
import type { ModelEntry } from "../models/registry.ts";
import type { DoctorFacts } from "./checks.ts";

function read(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function list(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** "RKNPU driver: v0.9.8" or "0.9.8" → "0.9.8". */
export function parseDriverVersion(text: string | null): string | null {
  return text?.match(/v?(\d+\.\d+(?:\.\d+)?)/)?.[1] ?? null;
}

/** MemAvailable from /proc/meminfo, in bytes. */
export function parseMemAvailable(text: string | null): number | null {
  const kb = text?.match(/^MemAvailable:\s+(\d+)\s+kB/m)?.[1];
  return kb ? Number(kb) * 1024 : null;
}

function canOpenReadWrite(path: string): boolean {
  try {
    Deno.openSync(path, { read: true, write: true }).close();
    return true;
  } catch {
    return false;
  }
}

function portFree(host: string, port: number): { free: boolean; error?: string } {
  try {
    Deno.listen({ hostname: host, port }).close();
    return { free: true };
  } catch (err) {
    return { free: false, error: (err as Error).message };
  }
}

export interface GatherInput {
  root: string;
  host: string;
  port: number;
  modelsDir: string;
  models: readonly ModelEntry[];
  library: DoctorFacts["library"];
}

export function gatherFacts(input: GatherInput): DoctorFacts {
  const at = (p: string): string => join(input.root || "/", p);
  const compatibleText = read(at("/proc/device-tree/compatible"));
  const driverVersion = parseDriverVersion(
    read(at("/sys/kernel/debug/rknpu/version")) ?? read(at("/sys/module/rknpu/version")),
  );
  const devices = [
    ...list(at("/dev")).filter((n) => n.startsWith("rknpu")).map((n) => at(`/dev/${n}`)),
    ...list(at("/dev/dri")).filter((n) => n.startsWith("renderD")).map((n) => at(`/dev/dri/${n}`)),
  ].map((path) => ({ path, accessible: canOpenReadWrite(path) }));
  const governorPaths = [
    "/sys/class/devfreq/fdab0000.npu/governor",
    ...list(at("/sys/devices/system/cpu/cpufreq"))
      .filter((n) => n.startsWith("policy"))
      .map((n) => `/sys/devices/system/cpu/cpufreq/${n}/scaling_governor`),
    "/sys/class/devfreq/dmc/governor",
  ];
  const governors = governorPaths.flatMap((path) => {
    const value = read(at(path))?.trim();
    return value ? [{ path, value }] : [];
  });
  let modelsDirExists = false;
  try {
    modelsDirExists = Deno.statSync(input.modelsDir).isDirectory;
  } catch {
    modelsDirExists = false;
  }
  const unreadable = input.models.filter((m) => {
    try {
      Deno.openSync(m.path, { read: true }).close();
      return false;
    } catch {
      return true;
    }
  }).map((m) => m.path);
  const largest = [...input.models].sort((a, b) => b.sizeBytes - a.sizeBytes)[0];
  return {
    compatible: compatibleText === null
      ? null
      : compatibleText.split("\0").map((s) => s.trim()).filter(Boolean),
    driverVersion,
    library: input.library,
    models: {
      dir: input.modelsDir,
      exists: modelsDirExists,
      count: input.models.length,
      unreadable,
      largestBytes: largest?.sizeBytes ?? 0,
      largestId: largest?.id ?? null,
    },
    devices,
    governors,
    port: { host: input.host, port: input.port, ...portFree(input.host, input.port) },
    memAvailableBytes: parseMemAvailable(read(at("/proc/meminfo"))),
  };
}
