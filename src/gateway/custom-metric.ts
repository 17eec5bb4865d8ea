import type { Registry } from "prom-client";

/** One sample of a metric family (`metricName` for a histogram's _bucket, _sum and _count). */
export interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * Registers a metric family whose samples are computed at scrape time by `samples()`: a
 * counter, gauge or histogram with labels that come and go (prom-client's own metric classes
 * keep every label set they were given).
 */
export function registerFamily(registry: Registry, name: string, help: string, type: "counter" | "gauge" | "histogram", samples: () => Sample[]): void {
  const family = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => ({ name, help, type, aggregator: "sum", values: samples() }),
    reset: () => undefined,
  };
  registry.registerMetric(family as unknown as Parameters<Registry["registerMetric"]>[0]);
}
