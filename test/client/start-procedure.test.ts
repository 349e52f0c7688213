import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { AlreadyInRecoveryError, startProcedure } from '../../client/start-procedure';
import { UnknownCellError } from '../../domain/registry';
import { CellIdAttribute, ProcedureAttribute } from '../../domain/search-attributes';
import { bundleCellopsWorkflows, createFleetWorkers, createTestFleet, PROCEDURE_SEARCH_ATTRIBUTES, terminateRunning } from '../helpers/procedures-environment';
import { createLocalTestEnvironment } from '../helpers/test-environment';
import { SETUP_TIMEOUT_MS } from '../helpers/server-process';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createLocalTestEnvironment({ searchAttributes: PROCEDURE_SEARCH_ATTRIBUTES }), bundleCellopsWorkflows()]);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await env?.teardown();
});

describe('startProcedure: one recovery per cell', () => {
  test('the id is cell-recovery-<cellId>, CellId and Procedure are set at start, and a second start fails naming the running one', async () => {
    const fleet = await createTestFleet(env);
    const workers = await createFleetWorkers(env, fleet, { bundle });
    await workers.runUntil(async () => {
      const handle = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-002') });
      expect(handle.workflowId).toBe('cell-recovery-cell-002');
      const described = await handle.describe();
      expect(described.typedSearchAttributes.get(CellIdAttribute)).toBe('cell-002');
      expect(described.typedSearchAttributes.get(ProcedureAttribute)).toBe('cellRestart');

      // A second alarm for the same cell, whatever procedure it asks for, starts nothing.
      const second = startProcedure(env.client, { procedure: 'cellReplacement', input: fleet.input('cell-002', { reason: 'second alarm' }) });
      await expect(second).rejects.toThrow(AlreadyInRecoveryError);
      await expect(second).rejects.toThrow(`cell-002 is already in recovery: cell-recovery-cell-002 (cellRestart)`);

      // Another cell is another business key.
      const other = await startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-003') });
      expect(other.workflowId).toBe('cell-recovery-cell-003');
      await terminateRunning(env.client);
    });
  });

  test('an unknown cell is refused before anything starts', async () => {
    const fleet = await createTestFleet(env);
    await expect(startProcedure(env.client, { procedure: 'cellRestart', input: fleet.input('cell-999') })).rejects.toThrow(UnknownCellError);
  });
});
