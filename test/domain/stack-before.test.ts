import { stackBefore, stackBeforeOf } from '../../domain/procedures/wave-deployment';
import type { Cell } from '../../domain/registry/schema';

// Only the cell's stack matters here.
const cell = { id: 'cell-001', stack: { name: 'shop-cell-001', template: { templateUrl: 'https://t.example.com/cell.yaml' }, parameters: { InstanceType: 'm7g.large', DbPassword: 'from-registry', Legacy: 'x' }, restartParameter: 'RestartNonce' } } as unknown as Cell;
const read = { parameters: { InstanceType: 'm7g.medium', RestartNonce: 'n-7' }, hidden: ['DbPassword'], templateDigest: 'd1' };

describe('the stack before a rollout', () => {
  test('is kept as its difference from the registry, and given back whole: its own values, NoEcho ones from the registry, without what it did not have', () => {
    const kept = stackBeforeOf(cell, read);
    expect(kept).toEqual({ parameters: { InstanceType: 'm7g.medium', RestartNonce: 'n-7' }, absent: ['Legacy'], templateDigest: 'd1' });
    expect(stackBeforeOf(cell, { parameters: { InstanceType: 'm7g.large', Legacy: 'x' }, hidden: ['DbPassword'], templateDigest: 'd1' })).toEqual({ parameters: {}, templateDigest: 'd1' });
    expect(stackBefore(cell, kept, { d1: 'Resources: {}' })).toEqual({ ...cell.stack, template: { templateBody: 'Resources: {}' }, parameters: { InstanceType: 'm7g.medium', DbPassword: 'from-registry', RestartNonce: 'n-7' } });
  });

  test('a template not kept (too large) is the registry\u2019s, with the cell\u2019s own parameters; no record or no stack: the registry\u2019s stack', () => {
    const kept = stackBeforeOf(cell, { ...read, templateDigest: undefined });
    expect(stackBefore(cell, kept, {})).toEqual({ ...cell.stack, parameters: { InstanceType: 'm7g.medium', DbPassword: 'from-registry', RestartNonce: 'n-7' } });
    expect(stackBefore(cell, undefined, {})).toBe(cell.stack);
    expect(stackBefore(cell, stackBeforeOf(cell, { parameters: {}, hidden: [], missing: true }), {})).toBe(cell.stack);
  });
});
