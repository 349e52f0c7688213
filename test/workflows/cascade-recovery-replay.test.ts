/**
 * Saved cascade recovery histories (recorded on the dev server by its tests with
 * `CELLOPS_SAVE_HISTORIES=1`) replay cleanly against today's workflow code, and a deliberately
 * changed workflow fails the replay of the same history.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleCellopsWorkflows } from '../helpers/procedures-environment';
import { HISTORIES_DIR } from './cell-replacement.helpers';

const WORKFLOW_ID = 'cascade-recovery-shop-eu';
const HISTORIES = ['cascadeRecovery-happy-path', 'cascadeRecovery-cell-fails', 'cascadeRecovery-abort-mid-recovery'];

let bundle: WorkflowBundleWithSourceMap;
let changed: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Another test file in this process installed it already.
  }
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: (msg: string) => console.error(msg), log() {} };
  [bundle, changed] = await Promise.all([
    bundleCellopsWorkflows(),
    bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/changed-cascade-recovery'), logger: quiet }),
  ]);
}, 120_000);

async function load(name: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'));
}

describe('cascadeRecovery replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, historyFromJSON(await load(name)), WORKFLOW_ID)).resolves.toBeUndefined();
  });

  test('the happy-path history fails against a changed workflow (circuit breakers opened before the load is shed)', async () => {
    const history = historyFromJSON(await load('cascadeRecovery-happy-path'));
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, WORKFLOW_ID)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
