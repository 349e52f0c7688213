/**
 * Router failover: its input, the router seen as the shared steps see a cell, the weight
 * schedule of the switch back, and its report. Pure, so the workflow, the CLI's `plan` and the
 * tests share it.
 */
import type { Cell, MetricsSpec, Registry, WeightedRecord } from '../registry/schema';
import type { ProcedureReport } from './report';

/** The id the router goes by in progress, search attributes and reports. */
export const ROUTER_ID = 'router';

/** How many one-minute health checks the restarted primary gets to be healthy again before the fallback is kept. */
export const DEFAULT_PRIMARY_RECOVERY_CHECKS = 10;

/** Input of the `routerFailover` workflow. */
export interface RouterFailoverInput {
  /** Why it was started: the router's alarm, or the operator's words. */
  reason: string;
  /** Who (or which alarm gateway) asked for it; four-eyes approvals compare against it. */
  requestedBy: string;
  /** The fleet, its router and its policies as loaded when the procedure was requested. */
  registry: Registry;
  /** Fail over even though the primary router looks healthy (a drill, planned maintenance). Default false. */
  force?: boolean;
  /** One-minute checks the restarted primary gets to be healthy again. Default {@link DEFAULT_PRIMARY_RECOVERY_CHECKS}. */
  primaryRecoveryChecks?: number;
}

/** A registry whose router cannot be failed over and recovered (no stack or metrics to act on). */
export class RouterNotConfiguredError extends Error {
  constructor(readonly missing: string[]) {
    super(`the registry's router has no ${missing.join(', ')}; router failover needs the primary's stack and metrics and the fallback's metrics`);
    this.name = 'RouterNotConfiguredError';
  }
}

/** What router failover acts on: the primary as a cell (stack, record, alarms, metrics) and the fallback. */
export interface RouterTargets {
  primary: Cell;
  fallback: { record: WeightedRecord; metrics: MetricsSpec };
}

/**
 * The router's primary in the shape the shared steps (health checks, stability watch, stack
 * restart) take, and its fallback.
 * @throws RouterNotConfiguredError when the registry lacks the primary's stack or metrics or the fallback's metrics.
 */
export function routerTargets(registry: Registry): RouterTargets {
  const { router } = registry;
  const missing = [router.stack ? undefined : 'stack', router.metrics ? undefined : 'metrics', router.fallbackMetrics ? undefined : 'fallbackMetrics'].filter((m): m is string => m !== undefined);
  if (!router.stack || !router.metrics || !router.fallbackMetrics) throw new RouterNotConfiguredError(missing);
  return {
    primary: {
      id: ROUTER_ID,
      region: registry.fleet.region,
      priority: 0,
      capacity: registry.cells.reduce((sum, c) => sum + c.capacity, 0),
      customers: registry.cells.reduce((sum, c) => sum + c.customers, 0),
      stack: router.stack,
      route53: router.primary,
      alarms: router.alarms,
      metrics: router.metrics,
    },
    fallback: { record: router.fallback, metrics: router.fallbackMetrics },
  };
}

/** The router group's two weights at one moment. */
export interface RoutingWeights {
  primary: number;
  fallback: number;
}

/** Failed over: the fallback carries the primary's in-service weight, the primary none. */
export function failedOverWeights(registry: Registry): RoutingWeights {
  return { primary: 0, fallback: Math.max(1, registry.router.primary.weight) };
}

/** Normal routing, as the registry has it. */
export function normalWeights(registry: Registry): RoutingWeights {
  return { primary: registry.router.primary.weight, fallback: registry.router.fallback.weight };
}

/**
 * The switch back from the fallback in steps of `stepPercent` of the router's weight: the
 * primary's weight grows as the fallback's shrinks, ending at normal routing.
 */
export function switchBackSchedule(registry: Registry, stepPercent: number): RoutingWeights[] {
  if (!(stepPercent > 0 && stepPercent <= 100)) throw new RangeError(`step ${stepPercent}%: expected more than 0 and at most 100`);
  const total = failedOverWeights(registry).fallback;
  const steps: RoutingWeights[] = [];
  for (let share = stepPercent; share < 100; share += stepPercent) {
    const primary = Math.round((total * share) / 100);
    steps.push({ primary, fallback: total - primary });
  }
  steps.push(normalWeights(registry));
  return steps.filter((w, i) => i === 0 || w.primary !== steps[i - 1].primary);
}

/** Which router serves customers at the end. */
export type Routing = 'primary' | 'fallback';

/** What one validation reading of the fallback found. */
export interface FallbackReading {
  /** Share of the router's requests the fallback took. */
  fallbackSharePercent: number | null;
  /** The fallback's error rate: misrouted requests. */
  errorRatePercent: number | null;
  /** Each cell's share of the fleet's requests. */
  cellShares: { cellId: string; sharePercent: number | null }[];
  problems: string[];
}

/** The router-specific part of the final report. */
export interface RouterDetails {
  /** Who serves customers now. */
  routing: Routing;
  /** What was wrong with the primary when the procedure started. */
  primaryProblems: string[];
  /** The reading that validated (or last failed to validate) the fallback. */
  fallbackValidation?: FallbackReading;
  /** The primary was restarted and checked healthy again. */
  primaryRecovered: boolean;
  failedOverAt?: string;
  switchedBackAt?: string;
}

/** What `routerFailover` returns (and carries in the failure's details when it fails). */
export interface RouterFailoverReport extends ProcedureReport {
  router: RouterDetails;
}
