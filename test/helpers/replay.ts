/**
 * Replay tests of saved histories (test/histories/, recorded with `CELLOPS_SAVE_HISTORIES=1`):
 * today's workflow bundle and a deliberately changed one, built once per file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleCellopsWorkflows } from './procedures-environment';

export const HISTORIES_DIR = path.resolve(__dirname, '../histories');

export interface ReplayBundles {
  /** Replays a saved history against today's workflows. */
  replay(name: string, workflowId: string): Promise<void>;
  /** Replays a saved history against the changed workflows. */
  replayChanged(name: string, workflowId: string): Promise<void>;
}

/** Builds today's bundle and the one of `changedWorkflowsPath` (a fixture) before the file's tests. */
export function useReplayBundles(changedWorkflowsPath: string): ReplayBundles {
  let bundle: WorkflowBundleWithSourceMap;
  let changed: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Another test file in this process installed it already.
    }
    const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: (msg: string) => console.error(msg), log() {} };
    [bundle, changed] = await Promise.all([bundleCellopsWorkflows(), bundleWorkflowCode({ workflowsPath: changedWorkflowsPath, logger: quiet })]);
  }, 120_000);
  const run = async (workflowBundle: WorkflowBundleWithSourceMap, name: string, workflowId: string) =>
    await Worker.runReplayHistory({ workflowBundle }, historyFromJSON(JSON.parse(await readFile(path.join(HISTORIES_DIR, `${name}.json`), 'utf8'))), workflowId);
  return {
    replay: (name, workflowId) => run(bundle, name, workflowId),
    replayChanged: (name, workflowId) => run(changed, name, workflowId),
  };
}
