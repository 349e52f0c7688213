/**
 * @module A registry of as many cells as a gateway test needs, each with its alarms, so tests on
 * one server never share a cell (a cell's recovery id is the same in every test).
 */
import pino from 'pino';
import type { Writable } from 'node:stream';
import { registrySchema, type Registry, type RegistryInput } from '../../domain/registry';
import { exampleRegistry } from './procedures-environment';

/**
 * The example fleet with cells `<prefix>-1` … `<prefix>-<count>` (alarms `<id>-HighErrorRate`,
 * `<id>-HighLatency`). Alarms are read for their cell alone (correlation window 0) unless
 * `cooldowns.correlationWindowSeconds` says otherwise: tests alarm many cells in a short time.
 */
export function gatewayRegistry(prefix: string, count: number, cooldowns: Partial<Registry['policies']['cooldowns']> = {}): Registry {
  const example = exampleRegistry();
  const template = example.cells[0];
  const cells = Array.from({ length: count }, (_, index) => {
    const id = `${prefix}-${index + 1}`;
    return {
      ...template,
      id,
      priority: index,
      stack: { ...template.stack, name: `shop-${id}` },
      route53: { ...template.route53, setIdentifier: id, value: `${id}.shop.example.com` },
      alarms: [`${id}-HighErrorRate`, `${id}-HighLatency`],
      metrics: { ...template.metrics, dimensions: { CellId: id } },
    };
  });
  const input: RegistryInput = {
    ...example,
    cells,
    policies: {
      ...example.policies,
      blastRadius: { ...example.policies.blastRadius, maxCellsOut: 1 },
      cooldowns: { ...example.policies.cooldowns, correlationWindowSeconds: 0, ...cooldowns },
    },
  };
  return registrySchema.parse(input);
}

/** A pino logger writing JSON lines into `lines`. */
export function capturingLogger(lines: Record<string, unknown>[]): pino.Logger {
  const stream = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } as unknown as Writable;
  return pino({ level: 'info' }, stream);
}

/** A logger that drops everything. */
export const silentLogger = (): pino.Logger => pino({ level: 'silent' });
