/**
 * Starting and stopping the soak's servers, judged: a server must be alive after its load and
 * stop on SIGTERM with exit 0 after a finished shutdown (main.ts promises: abort the run, destroy
 * the model, log "stopped"). A watchdog kills every started server when the run overruns.
 */
import type { TestServer } from "../support/server.ts";

export function isAlive(pid: number): boolean {
  try {
    const state = Deno.readTextFileSync(`/proc/${pid}/status`).match(/State:\s+(\S)/)?.[1];
    return state !== undefined && state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** SIGTERM, then the failures of the shutdown (none when it was clean). */
export async function stopAndJudge(server: TestServer, name: string): Promise<{
  exitCode: number;
  failures: string[];
}> {
  const failures: string[] = [];
  if (!isAlive(server.pid)) failures.push(`${name}: server process ${server.pid} is not alive`);
  const exitCode = await server.stop();
  if (exitCode !== 0) failures.push(`${name}: server exited with code ${exitCode} on SIGTERM`);
  if (server.logs.some((l) => l.includes("shutdown took too long"))) {
    failures.push(`${name}: shutdown hit the forced exit ("shutdown took too long")`);
  }
  if (!server.logs.some((l) => /\[main\] stopped/.test(l))) {
    failures.push(
      `${name}: SIGTERM: the shutdown did not finish (no "[main] stopped" line); last lines:\n` +
        server.logs.slice(-3).map((l) => `    ${l}`).join("\n"),
    );
  }
  return { exitCode, failures };
}

/** Server WARN/ERROR lines by message (time and request id left out), for the report. */
export function warnLines(logs: readonly string[]): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const l of logs.filter((l) => / (WARN|ERROR) /.test(l))) {
    const key = l.replace(/^\S+ /, "").replace(/ id=\S+/, "");
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return kinds;
}

/** Kills the watched servers and exits 2 when the soak runs past its deadline. */
export class Watchdog {
  #pids = new Set<number>();
  #timer: ReturnType<typeof setTimeout>;

  constructor(deadlineMs: number) {
    this.#timer = setTimeout(() => {
      console.error(`soak: no end after ${deadlineMs / 1000} s; killing the servers`);
      for (const pid of this.#pids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      Deno.exit(2);
    }, deadlineMs);
  }

  watch(pid: number): void {
    this.#pids.add(pid);
  }

  done(): void {
    clearTimeout(this.#timer);
  }
}
