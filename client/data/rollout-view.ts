/**
 * A running rollout (`waveDeployment`) as the procedure view shows it: its progress is the cells
 * updated out of the rollout's cells, and its waves say which one is under way, both from the
 * rollout's own `deploymentProgress` answer (it has no catalog plan to count steps against).
 */
import type { DeploymentProgress, WaveStatus } from '../../domain/procedures/wave-deployment';
import type { ProcedureView } from './procedure';

/** A rollout's waves while it runs. */
export interface WavesView {
  /** Waves that passed their bake. */
  passed: number;
  /** Waves in the plan. */
  total: number;
  /** The wave under way (its index, 0 being the canary under the canary strategy), once one started. */
  current?: { index: number; canary: boolean; status: WaveStatus };
}

/** Statuses of a wave that ended the rollout: the cells are going back, so nothing counts up. */
const ENDING: readonly WaveStatus[] = ['failed', 'skipped', 'rolled-back'];

/** Adds the rollout's cells updated (as its progress) and its waves to the view of a running rollout. */
export function withRolloutProgress(view: ProcedureView, rollout: DeploymentProgress | undefined): ProcedureView {
  if (!rollout || rollout.outcome !== 'in-progress') return view;
  const wave = rollout.currentWave === undefined ? undefined : rollout.waves[rollout.currentWave];
  const waves: WavesView = {
    passed: rollout.waves.filter((w) => w.status === 'passed').length,
    total: rollout.waves.length,
    ...(wave ? { current: { index: wave.index, canary: wave.canary, status: wave.status } } : {}),
  };
  if (wave && ENDING.includes(wave.status)) return { ...view, waves };
  return { ...view, progress: { done: rollout.cellsUpdated, total: rollout.cellsTotal, unit: 'cells updated' }, waves };
}

/** `waves: 1 of 2 passed, wave 1 awaiting approval`: a rollout's waves, named by their index as its plan and steps name them. */
export function describeWaves(waves: WavesView): string {
  const { current } = waves;
  const now = current ? `, wave ${current.index}${current.canary ? ' (canary)' : ''} ${current.status.replace(/-/g, ' ')}` : '';
  return `waves: ${waves.passed} of ${waves.total} passed${now}`;
}
