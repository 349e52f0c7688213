/**
 * Saved cell restart histories (recorded on the dev server by cell-restart.test.ts with
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

const HISTORIES = ['cellRestart-happy-path', 'cellRestart-traffic-stuck', 'cellRestart-abort-mid-drain', 'cellRestart-escalated'];

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
    bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/changed-cell-restart'), logger: quiet }),
  ]);
}, 120_000);

async function load(name: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'));
}

describe('cellRestart replay', () => {
  test.each(HISTORIES)('%s replays cleanly', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, historyFromJSON(await load(name)), 'cell-recovery-cell-002')).resolves.toBeUndefined();
  });

  test('the same happy-path history fails against a changed workflow (steps 1 and 2 swapped)', async () => {
    const history = historyFromJSON(await load('cellRestart-happy-path'));
    await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, 'cell-recovery-cell-002')).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
