/**
 * The procedure page's refreshing and traffic panel, rendered from views: an ended procedure whose
 * traffic readings could not be read keeps refreshing and says why; once read, it stops.
 */
import type { ProcedureView } from '../../client/data/procedure';
import { procedurePage, procedurePageIsLive } from '../../client/console/pages/procedure';

const ended: ProcedureView = {
  workflowId: 'cell-restart-cell-002',
  runId: 'run-1',
  namespace: 'default',
  workflowType: 'cellRestart',
  status: 'COMPLETED',
  state: 'completed',
  procedure: 'cellRestart',
  cellId: 'cell-002',
  startTime: '2026-12-03T10:00:00.000Z',
  closeTime: '2026-12-03T10:30:00.000Z',
  steps: [],
  traffic: [],
  decisions: [],
  upcomingSteps: [],
};

const render = (view: ProcedureView) => procedurePage({ view, webUiUrl: 'http://localhost:8233', base: '/console', now: Date.parse('2026-12-03T11:00:00Z') }).toString();

test('a running procedure refreshes; an ended one stops once its traffic was read', () => {
  expect(procedurePageIsLive({ ...ended, status: 'RUNNING', state: 'running' })).toBe(true);
  expect(procedurePageIsLive({ ...ended, traffic: [{ at: '2026-12-03T10:01:00.000Z', weight: 50 }] })).toBe(false);
  expect(procedurePageIsLive(ended)).toBe(false);
});

test('an ended procedure whose traffic could not be read keeps refreshing and says why', () => {
  const view = { ...ended, trafficUnavailable: 'its last progress was not answered (Deadline exceeded)' };
  expect(procedurePageIsLive(view)).toBe(true);
  const page = render(view);
  expect(page).toContain('id="traffic-unavailable"');
  expect(page).toContain('its last progress was not answered (Deadline exceeded). Trying again.');
  expect(page).not.toContain('<svg');
  expect(render(ended)).toContain('No traffic readings yet');
});

test('a running procedure shows its progress, a rollout its cells updated and waves', () => {
  const running: ProcedureView = { ...ended, status: 'RUNNING', state: 'running', closeTime: undefined, currentStep: 'drain-traffic' };
  expect(render({ ...running, progress: { done: 4, total: 7, unit: 'steps' } })).toContain('<dd id="progress"><progress max="7" value="4"></progress> 4/7 steps</dd>');
  const rollout = render({
    ...running,
    workflowType: 'waveDeployment',
    progress: { done: 1, total: 3, unit: 'cells updated' },
    waves: { passed: 1, total: 2, current: { index: 1, canary: false, status: 'awaiting-approval' } },
  });
  expect(rollout).toContain('1/3 cells updated · waves: 1 of 2 passed, wave 1 awaiting approval</dd>');
  expect(render(running)).not.toContain('id="progress"');
});
