/**
 * A pool of concurrent clients working through a plan: each takes the next job, runs it to its
 * result (retries included) and takes another, until the plan is done.
 */
import type { Job } from "./plan.ts";
import { type RequestOptions, type Result, runJob } from "./request.ts";

export interface ClientKind {
  /** Every request of this client is streamed (true) or not (false); absent: as planned. */
  stream?: boolean;
}

export async function runClients(
  url: string,
  plan: readonly Job[],
  clients: readonly ClientKind[],
  opts: RequestOptions,
  /** Called after each result with the number of results so far. */
  onResult?: (result: Result, completed: number) => void,
): Promise<Result[]> {
  const results: Result[] = new Array(plan.length);
  let next = 0;
  let completed = 0;
  const client = async (kind: ClientKind) => {
    while (next < plan.length) {
      const planned = plan[next++];
      const job = kind.stream === undefined ? planned : {
        ...planned,
        stream: kind.stream,
        cutAfter: kind.stream ? planned.cutAfter : null,
      };
      results[job.index] = await runJob(url, job, opts);
      onResult?.(results[job.index], ++completed);
    }
  };
  await Promise.all(clients.map(client));
  return results;
}

/** `n` clients of one kind. */
export function clientsOf(n: number, kind: ClientKind = {}): ClientKind[] {
  return Array.from({ length: n }, () => kind);
}
