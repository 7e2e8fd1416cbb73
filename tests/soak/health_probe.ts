/**
 * Polls `/health` at a fixed interval while a phase runs and keeps each answer's latency: the
 * endpoint must stay fast however busy the NPU queue is (systemd and load balancers read it).
 */

export interface HealthProbe {
  /** Stops polling; the latencies (ms) and the failed polls. */
  stop(): Promise<{ latencies: number[]; failures: string[] }>;
}

export function probeHealth(url: string, everyMs: number): HealthProbe {
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/health`);
        await res.body?.cancel();
        if (res.status !== 200) failures.push(`/health answered ${res.status}`);
        else latencies.push(performance.now() - t0);
      } catch (err) {
        failures.push(`/health: ${err}`);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latencies, failures };
    },
  };
}
