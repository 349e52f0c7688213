/**
 * The gateway's Prometheus metrics, on a registry of its own (not prom-client's global one), so
 * several gateways in one process (tests, the main job) do not clash.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  /** Requests by source and outcome (`started`, `already-running`, …, or the error code). */
  requests: Counter<'source' | 'outcome'>;
  /** Seconds from a request's arrival to its answer. */
  decisionSeconds: Histogram<'source' | 'outcome'>;
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: 'cellops_gateway_requests_total',
      help: 'Alarm requests answered, by source and outcome',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: 'cellops_gateway_decision_seconds',
      help: 'Time from an alarm request arriving to its answer',
      labelNames: ['source', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
