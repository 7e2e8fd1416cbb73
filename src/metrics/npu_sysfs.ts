/**
 * NPU load and frequency as the RKNPU driver exposes them: `/sys/kernel/debug/rknpu/load`
 * ("NPU load:  Core0:  5%, Core1:  0%, Core2:  0%,", readable by root when debugfs is mounted)
 * and the devfreq `cur_freq` in Hz. Unreadable files give no values, never an error.
 */
import { join } from "node:path";

export interface NpuStats {
  loads: { core: string; percent: number }[];
  frequencyHz: number | null;
}

export function parseNpuLoad(text: string): { core: string; percent: number }[] {
  return [...text.matchAll(/Core(\d+):\s*(\d+(?:\.\d+)?)%/g)].map((m) => ({
    core: m[1],
    percent: Number(m[2]),
  }));
}

function read(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

export function readNpuStats(root = ""): NpuStats {
  const at = (p: string): string => join(root || "/", p);
  const load = read(at("/sys/kernel/debug/rknpu/load"));
  const freq = read(at("/sys/class/devfreq/fdab0000.npu/cur_freq"))?.trim();
  return {
    loads: load ? parseNpuLoad(load) : [],
    frequencyHz: freq && /^\d+$/.test(freq) ? Number(freq) : null,
  };
}
