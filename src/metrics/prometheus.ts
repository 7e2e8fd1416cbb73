/**
 * A minimal Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4). Pure: values come in through method calls.
 */

type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}="${escapeLabel(labels[k])}"`).join(",");
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function series(name: string, key: string, value: number): string {
  return `${name}${key ? `{${key}}` : ""} ${formatNumber(value)}`;
}

interface Metric {
  render(): string[];
}

abstract class Simple implements Metric {
  protected values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly type: string) {}
  render(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} ${this.type}`,
      ...[...this.values].map(([k, v]) => series(this.name, k, v)),
    ];
  }
}

export class Counter extends Simple {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
}

export class Gauge extends Simple {
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
  /** Replaces every series (values read at scrape time). */
  reset(): void {
    this.values.clear();
  }
}

export class Histogram implements Metric {
  #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {}
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.#series.get(key);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]++;
    });
    s.sum += value;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.#series) {
      const join = (extra: string) => [key, extra].filter(Boolean).join(",");
      this.buckets.forEach((b, i) => {
        lines.push(series(`${this.name}_bucket`, join(`le="${formatNumber(b)}"`), s.counts[i]));
      });
      lines.push(series(`${this.name}_bucket`, join('le="+Inf"'), s.count));
      lines.push(series(`${this.name}_sum`, key, s.sum));
      lines.push(series(`${this.name}_count`, key, s.count));
    }
    return lines;
  }
}

export class Registry {
  #metrics: Metric[] = [];
  register<T extends Metric>(metric: T): T {
    this.#metrics.push(metric);
    return metric;
  }
  render(): string {
    return this.#metrics.map((m) => m.render().join("\n")).join("\n") + "\n";
  }
}
