import cluster from 'node:cluster';
import { Counter, register } from 'prom-client';

/**
 * Gateway counters in the process's prom-client registry (served by /metrics). A cluster
 * worker cannot reach the primary's registry, so it sums locally and sends the deltas to
 * the primary every second, where applyWorkerMetrics adds them.
 */

type Labels = Record<string, string>;
const DEFS = {
  postwarden_gateway_messages_total: { help: 'Messages answered by the SMTP gateway, by SMTP reply class', labels: ['reply'] },
  postwarden_gateway_recipients_total: { help: 'Recipient copies by what became of them', labels: ['result'] },
  postwarden_gateway_quarantined_total: { help: 'Messages quarantined (spoofed system mail, block rules)', labels: ['reason'] },
  postwarden_gateway_stage_failures_total: { help: 'Pipeline stages that crashed or timed out (answered 4xx)', labels: ['stage', 'kind'] },
  postwarden_gateway_refused_recipients_total: { help: 'RCPT TO refused at the gateway', labels: ['why'] },
} as const;
export type MetricName = keyof typeof DEFS;

const counters = new Map<MetricName, Counter<string>>();
function counter(name: MetricName): Counter<string> {
  let c = counters.get(name);
  if (!c) {
    c = (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help: DEFS[name].help, labelNames: [...DEFS[name].labels] });
    counters.set(name, c);
  }
  return c;
}

export interface GatewayMetrics {
  inc(name: MetricName, labels: Labels, n?: number): void;
  stop(): void;
}

const MESSAGE_TYPE = 'postwarden:gateway-metrics';

/** Counters for this process: direct in a single process or the primary, forwarded from a worker. */
export function createGatewayMetrics(): GatewayMetrics {
  if (!cluster.isWorker || !process.send) {
    return { inc: (name, labels, n = 1) => counter(name).inc(labels, n), stop() {} };
  }
  let pending = new Map<string, { name: MetricName; labels: Labels; n: number }>();
  const flush = (): void => {
    if (!pending.size || !process.connected) return;
    const batch = [...pending.values()];
    pending = new Map();
    process.send!({ type: MESSAGE_TYPE, batch });
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  return {
    inc(name, labels, n = 1) {
      const key = `${name}|${JSON.stringify(labels)}`;
      const e = pending.get(key);
      if (e) e.n += n;
      else pending.set(key, { name, labels, n });
    },
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

/** In the primary: adds a worker's message to the counters. Returns false for other messages. */
export function applyWorkerMetrics(message: unknown): boolean {
  const m = message as { type?: string; batch?: { name: MetricName; labels: Labels; n: number }[] };
  if (m?.type !== MESSAGE_TYPE || !Array.isArray(m.batch)) return false;
  for (const e of m.batch) if (e.name in DEFS) counter(e.name).inc(e.labels, e.n);
  return true;
}
