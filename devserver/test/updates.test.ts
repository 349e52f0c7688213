import { status as grpcStatus } from '@grpc/grpc-js';
import { Context } from '@temporalio/activity';
import {
  Client,
  Connection,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  WithStartWorkflowOperation,
} from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import Long from 'long';
import { ManualClock } from '../clock';
import { dynamicConfigDurationMs, parseArgs, UsageError } from '../config';
import { Engine, type CallContext } from '../engine/engine';
import { ServiceError } from '../engine/errors';
import { createLogger } from '../log';
import { createLocalTestEnvironment } from '../testing/test-environment';
import { tempDir } from './persistence/helpers';
import { freePort, startServer, waitUntilServing, type ServerProcess } from './persistence/server-process';
import { bundleTestWorkflows, eventsOfType, eventTypes, uniqueId, waitFor, SETUP_TIMEOUT_MS } from './helpers';
import type { TestActivities } from './workflows/activity-types';
import {
  approvalGate,
  approveUpdate,
  closeSignal,
  handledQuery,
  handoffGate,
  handoffSignal,
  holdUpdate,
  releaseSignal,
  slowFirstTaskGate,
} from './workflows';

const TASK_QUEUE = 'devserver-updates';

describe('dev server: workflow updates', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  const activities: Partial<TestActivities> = {
    async sleepFor(ms) {
      await Context.current().sleep(ms);
      return 'slept';
    },
  };

  beforeAll(async () => {
    env = await createLocalTestEnvironment({ sdkLogLevel: 'ERROR' });
    workflowBundle = await bundleTestWorkflows();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle, activities });
    return await worker.runUntil(fn);
  }

  it('runs an update to completion: the caller gets the result, history gets Accepted then Completed', async () => {
    // GIVEN a running approval gate
    const workflowId = uniqueId('update-execute');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [result, handled] = await withWorker(async () => {
      // WHEN an approval is sent as an update and the gate is then closed
      const answer = await handle.executeUpdate(approveUpdate, { args: ['alice'], updateId: 'approve-1' });
      await handle.signal(closeSignal);
      return [answer, await handle.result()];
    });

    // THEN the caller got the handler's result and history records the update in order
    expect(result).toBe('approved by alice');
    expect(handled).toEqual(['approve:alice']);
    const history = await handle.fetchHistory();
    const types = eventTypes(history);
    const accepted = types.indexOf('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(accepted).toBeGreaterThan(0);
    expect(types[accepted - 1]).toBe('WORKFLOW_TASK_COMPLETED');
    expect(types[accepted + 1]).toBe('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    const acceptedEvent = eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')[0];
    const attrs = acceptedEvent.workflowExecutionUpdateAcceptedEventAttributes;
    expect(attrs?.protocolInstanceId).toBe('approve-1');
    expect(attrs?.acceptedRequestMessageId).toBe('approve-1/request');
    expect(attrs?.acceptedRequest?.input?.name).toBe('approve');
    // The request was sequenced after the event before its task's WorkflowTaskStarted.
    expect(types[Number(attrs?.acceptedRequestSequencingEventId) - 1]).toBe('WORKFLOW_TASK_SCHEDULED');
    const completed = eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')[0].workflowExecutionUpdateCompletedEventAttributes;
    expect(Number(completed?.acceptedEventId)).toBe(Number(acceptedEvent.eventId));
    expect(completed?.meta?.updateId).toBe('approve-1');
  });

  it('rejects an update its validator refuses: the caller gets the failure, history gets no events', async () => {
    // GIVEN a running approval gate that has finished its first task
    const workflowId = uniqueId('update-reject');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [lengthBefore, error, lengthAfter, reused, handled] = await withWorker(async () => {
      await handle.query(handledQuery);
      const before = (await handle.fetchHistory()).events?.length ?? 0;

      // WHEN an update is sent that the validator rejects
      const err = await handle.executeUpdate(approveUpdate, { args: ['mallory'], updateId: 'rejected-once' }).catch((e: unknown) => e);
      const after = (await handle.fetchHistory()).events?.length ?? 0;
      // (a rejected update is forgotten, as on a real server: its id can carry a new update)
      const reused = await handle.executeUpdate(approveUpdate, { args: ['oscar'], updateId: 'rejected-once' });
      await handle.signal(closeSignal);
      return [before, err, after, reused, await handle.result()] as const;
    });

    // THEN the caller gets the validator's failure and the rejection left no trace in history
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).message).toBe('mallory may not approve');
    expect((cause as ApplicationFailure).type).toBe('NotAnApprover');
    expect(lengthAfter).toBe(lengthBefore);
    expect(reused).toBe('approved by oscar');
    expect(handled).toEqual(['approve:oscar']);
    const accepted = eventsOfType(await handle.fetchHistory(), 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    // Only the second use of the id is in history.
    expect(accepted).toHaveLength(1);
  });

  it('starts an update, returns at acceptance, and gives the result through the handle', async () => {
    // GIVEN a running approval gate
    const workflowId = uniqueId('update-start');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [stageResult, viaNewHandle] = await withWorker(async () => {
      // WHEN an update is started (wait for ACCEPTED), then its result fetched from a fresh handle
      const updateHandle = await handle.startUpdate(approveUpdate, {
        args: ['bob'],
        updateId: 'approve-bob',
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      const first = await updateHandle.result();
      const second = await env.client.workflow.getHandle(workflowId).getUpdateHandle<string>('approve-bob').result();
      await handle.signal(closeSignal);
      await handle.result();
      return [first, second];
    });

    // THEN both handles see the same result
    expect(stageResult).toBe('approved by bob');
    expect(viaNewHandle).toBe('approved by bob');
  });

  it('runs an update id once: repeats in flight and after completion get the same outcome', async () => {
    // GIVEN a gate with no worker yet, and two callers sending the same update id
    const workflowId = uniqueId('update-dedupe');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const first = handle.executeUpdate(approveUpdate, { args: ['dana'], updateId: 'same-id' });
    const second = handle.executeUpdate(approveUpdate, { args: ['dana'], updateId: 'same-id' });
    const [results, again, handled] = await withWorker(async () => {
      // WHEN a worker runs it, and the id is sent once more after completion
      const both = await Promise.all([first, second]);
      const repeat = await handle.executeUpdate(approveUpdate, { args: ['dana'], updateId: 'same-id' });
      const seen = await handle.query(handledQuery);
      await handle.signal(closeSignal);
      await handle.result();
      return [both, repeat, seen];
    });

    // THEN everyone got the one result, the handler ran once, and history holds one update
    expect(results).toEqual(['approved by dana', 'approved by dana']);
    expect(again).toBe('approved by dana');
    expect(handled).toEqual(['approve:dana']);
    const history = await handle.fetchHistory();
    expect(eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(1);
    expect(eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(1);
  });

  it('reports an accepted update that has not completed, then its result, and keeps queries and describe working', async () => {
    // GIVEN a gate whose hold update waits for a release signal
    const workflowId = uniqueId('update-hold');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const observed = await withWorker(async () => {
      // WHEN a hold is started (wait for ACCEPTED), the run is queried and described, then released
      const hold = await handle.startUpdate(holdUpdate, { args: ['h1'], updateId: 'hold-1', waitForStage: WorkflowUpdateStage.ACCEPTED });
      const repeat = await handle.startUpdate(holdUpdate, { args: ['h1'], updateId: 'hold-1', waitForStage: WorkflowUpdateStage.ACCEPTED });
      const typesWhileHeld = eventTypes(await handle.fetchHistory());
      const handledWhileHeld = await handle.query(handledQuery);
      const description = await handle.describe();
      await handle.signal(releaseSignal);
      const results = await Promise.all([hold.result(), repeat.result()]);
      await handle.signal(closeSignal);
      return { typesWhileHeld, handledWhileHeld, status: description.status.name, results, final: await handle.result() };
    });

    // THEN acceptance came before completion, the handler ran once, and both handles got its result
    expect(observed.typesWhileHeld).toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(observed.typesWhileHeld).not.toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    expect(observed.handledWhileHeld).toEqual(['hold:h1']);
    expect(observed.status).toBe('RUNNING');
    expect(observed.results).toEqual(['released h1', 'released h1']);
    expect(observed.final).toEqual(['hold:h1']);
    const types = eventTypes(await handle.fetchHistory());
    expect(types.indexOf('WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toBeGreaterThan(types.indexOf('WORKFLOW_EXECUTION_SIGNALED'));
  });

  it('fails an accepted update clearly when the workflow completes before it does', async () => {
    // GIVEN a gate holding an accepted update, with a second caller waiting for its completion
    const workflowId = uniqueId('update-orphaned');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const [started, waiting] = await withWorker(async () => {
      const hold = await handle.startUpdate(holdUpdate, { args: ['h2'], updateId: 'hold-2', waitForStage: WorkflowUpdateStage.ACCEPTED });
      const waiter = handle.executeUpdate(holdUpdate, { args: ['h2'], updateId: 'hold-2' }).catch((err: unknown) => err);

      // WHEN the workflow is closed without releasing the hold
      await handle.signal(closeSignal);
      await handle.result();
      return [await hold.result().catch((err: unknown) => err), await waiter];
    });

    // THEN both callers get an update failure saying the workflow completed first
    for (const error of [started, waiting]) {
      expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (error as WorkflowUpdateFailedError).cause as ApplicationFailure;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause.type).toBe('AcceptedUpdateCompletedWorkflow');
      expect(cause.message).toContain('Workflow completed before the Update completed');
    }
    const types = eventTypes(await handle.fetchHistory());
    expect(types).toContain('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
    expect(types).not.toContain('WORKFLOW_EXECUTION_UPDATE_COMPLETED');
    // And a later poll of that update id still answers the same failure.
    const late = await env.client.workflow.getHandle(workflowId).getUpdateHandle('hold-2').result().catch((err: unknown) => err);
    expect(((late as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('AcceptedUpdateCompletedWorkflow');
  });

  it('refuses updates on closed and unknown workflows, but answers a completed update id again', async () => {
    // GIVEN a gate that completed one update and then closed
    const workflowId = uniqueId('update-closed');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    await withWorker(async () => {
      await handle.executeUpdate(approveUpdate, { args: ['erin'], updateId: 'before-close' });
      await handle.signal(closeSignal);
      await handle.result();
    });

    // WHEN a new update, the completed update id again, and an update to an unknown workflow are sent
    const fresh = await handle.executeUpdate(approveUpdate, { args: ['frank'] }).catch((err: unknown) => err);
    const repeated = await handle.executeUpdate(approveUpdate, { args: ['erin'], updateId: 'before-close' });
    const unknown = await env.client.workflow
      .getHandle(uniqueId('no-such-workflow'))
      .executeUpdate(approveUpdate, { args: ['grace'] })
      .catch((err: unknown) => err);

    // THEN the new update is refused as NOT_FOUND, the repeat gets its result, the unknown workflow is not found
    expect(fresh).toBeInstanceOf(WorkflowNotFoundError);
    expect((fresh as Error).message).toContain('workflow execution already completed');
    expect(repeated).toBe('approved by erin');
    expect(unknown).toBeInstanceOf(WorkflowNotFoundError);
  });

  it('delivers updates and signals that arrive while a workflow task runs in the next task', async () => {
    // GIVEN a workflow whose first task is kept busy by a 1.5 s local activity
    const workflowId = uniqueId('update-during-task');
    const handle = await env.client.workflow.start(slowFirstTaskGate, { taskQueue: TASK_QUEUE, workflowId, args: [1500] });
    const result = await withWorker(async () => {
      await waitFor(async () => {
        const { raw } = await handle.describe();
        return raw.pendingWorkflowTask?.state === temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
          ? true
          : undefined;
      });

      // WHEN a signal and an update arrive while that task runs
      await handle.signal(releaseSignal);
      const answer = await handle.executeUpdate(approveUpdate, { args: ['heidi'] });
      await handle.signal(closeSignal);
      return [answer, await handle.result()];
    });

    // THEN both came after the first task's completion and the update rode the next task
    expect(result).toEqual(['approved by heidi', ['approve:heidi']]);
    const history = await handle.fetchHistory();
    const types = eventTypes(history);
    const firstCompleted = types.indexOf('WORKFLOW_TASK_COMPLETED');
    expect(types.slice(firstCompleted, firstCompleted + 4)).toEqual([
      'WORKFLOW_TASK_COMPLETED',
      'MARKER_RECORDED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const accepted = eventsOfType(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')[0].workflowExecutionUpdateAcceptedEventAttributes;
    expect(Number(accepted?.acceptedRequestSequencingEventId)).toBe(firstCompleted + 4);
  });

  it('replays histories with accepted, completed, rejected and orphaned updates', async () => {
    // GIVEN histories of gates that ran every kind of update
    const ids = { done: uniqueId('replay-done'), orphan: uniqueId('replay-orphan') };
    await withWorker(async () => {
      const done = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId: ids.done });
      await done.executeUpdate(approveUpdate, { args: ['ivan'] });
      await done.executeUpdate(approveUpdate, { args: [''] }).catch(() => undefined);
      const held = await done.startUpdate(holdUpdate, { args: ['h3'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await done.signal(releaseSignal);
      await held.result();
      await done.signal(closeSignal);
      await done.result();
      const orphan = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId: ids.orphan });
      await orphan.startUpdate(holdUpdate, { args: ['h4'], waitForStage: WorkflowUpdateStage.ACCEPTED });
      await orphan.signal(closeSignal);
      await orphan.result();
    });

    // WHEN they are replayed with the same workflow code
    for (const workflowId of Object.values(ids)) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      // THEN the replay succeeds
      await expect(Worker.runReplayHistory({ workflowBundle }, history, workflowId)).resolves.toBeUndefined();
    }
  });

  it('fails an update accepted by a run that continues as new, and runs later updates on the new run', async () => {
    // GIVEN a gate that completed one update and holds another when it is handed off to a new run
    const workflowId = uniqueId('update-continue-as-new');
    const first = await env.client.workflow.start(handoffGate, { taskQueue: TASK_QUEUE, workflowId, args: [[]] });
    const observed = await withWorker(async () => {
      await first.executeUpdate(approveUpdate, { args: ['lena'] });
      const hold = await first.startUpdate(holdUpdate, { args: ['h5'], waitForStage: WorkflowUpdateStage.ACCEPTED });

      // WHEN the gate continues as new, then an update is sent to the workflow id
      await first.signal(handoffSignal);
      const orphaned = await hold.result().catch((err: unknown) => err);
      const latest = env.client.workflow.getHandle<typeof handoffGate>(workflowId);
      const onNewRun = await latest.executeUpdate(approveUpdate, { args: ['mike'] });
      await latest.signal(closeSignal);
      return { orphaned, onNewRun, result: await latest.result() };
    });

    // THEN the held update failed as the run closed, and the next update ran on the new run
    expect(((observed.orphaned as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('AcceptedUpdateCompletedWorkflow');
    expect(observed.onNewRun).toBe('approved by mike');
    expect(observed.result).toEqual(['approve:lena', 'hold:h5', 'approve:mike']);
    const firstRunTypes = eventTypes(await env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).fetchHistory());
    expect(firstRunTypes.at(-1)).toBe('WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    expect(firstRunTypes.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(2);
    expect(firstRunTypes.filter((t) => t === 'WORKFLOW_EXECUTION_UPDATE_COMPLETED')).toHaveLength(1);
  });

  it('starts a workflow and runs an update on it in one call (update-with-start)', async () => {
    // GIVEN no workflow with this id
    const workflowId = uniqueId('update-with-start');
    const [first, second, handled] = await withWorker(async () => {
      // WHEN update-with-start is called twice with USE_EXISTING
      const results: string[] = [];
      for (const approver of ['judy', 'ken']) {
        const startWorkflowOperation = new WithStartWorkflowOperation(approvalGate, {
          workflowId,
          taskQueue: TASK_QUEUE,
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        results.push(await env.client.workflow.executeUpdateWithStart(approveUpdate, { args: [approver], startWorkflowOperation }));
      }
      const handle = env.client.workflow.getHandle<typeof approvalGate>(workflowId);
      await handle.signal(closeSignal);
      return [results[0], results[1], await handle.result()] as const;
    });

    // THEN the first call started the run, the second reused it, and both updates ran on it
    expect(first).toBe('approved by judy');
    expect(second).toBe('approved by ken');
    expect(handled).toEqual(['approve:judy', 'approve:ken']);
  });
});

describe('dev server: update calls that outlast the long poll', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    // Update calls answer "not there yet" after 300 ms instead of the real server's 20 s.
    env = await createLocalTestEnvironment({
      sdkLogLevel: 'ERROR',
      extraArgs: ['--dynamic-config-value', 'history.longPollExpirationInterval="300ms"'],
    });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await env?.teardown();
  });

  it('keeps the caller waiting across long-poll answers until a worker completes the update', async () => {
    // GIVEN a gate with no worker, and an update sent to it
    const workflowId = uniqueId('update-long-poll');
    const handle = await env.client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
    const pending = handle.executeUpdate(approveUpdate, { args: ['nina'], updateId: 'long-poll-1' });

    // WHEN several long polls expire before a worker comes (the client asks again each time; a
    // raw call for the same update id shows what each of those answers is)
    const raw = await env.connection.workflowService.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId },
      waitPolicy: { lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      // The same request as the client's, whichever of the two reaches the server first.
      request: { meta: { updateId: 'long-poll-1' }, input: { name: 'approve', args: { payloads: [defaultPayloadConverter.toPayload('nina')] } } },
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const workflowBundle = await bundleTestWorkflows();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
    const result = await worker.runUntil(async () => {
      const answer = await pending;
      await handle.signal(closeSignal);
      await handle.result();
      return answer;
    });

    // THEN each long poll answered ADMITTED without an outcome, the original call got the
    // result, and the update ran once
    expect(raw.stage).toBe(temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    expect(raw.outcome).toBeFalsy();
    expect(raw.updateRef?.updateId).toBe('long-poll-1');
    expect(result).toBe('approved by nina');
    expect(eventsOfType(await handle.fetchHistory(), 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')).toHaveLength(1);
  });
});

describe('dev server: updates across a restart on --db-filename', () => {
  const servers: ServerProcess[] = [];
  let cleanupDir: (() => void) | undefined;

  afterAll(async () => {
    for (const server of servers) await server.kill();
    cleanupDir?.();
  });

  it('answers completed and accepted updates again after SIGKILL and restart, without running them again', async () => {
    // GIVEN a persisted server where a gate completed two updates (one with an odd id) and holds a third
    const port = await freePort();
    const dir = tempDir();
    cleanupDir = dir.cleanup;
    const address = `127.0.0.1:${port}`;
    const serve = async (): Promise<ServerProcess> => {
      const server = startServer(port, dir.file);
      servers.push(server);
      await waitUntilServing(server, port);
      return server;
    };
    const workflowBundle = await bundleTestWorkflows();
    const workflowId = uniqueId('update-restart');
    const runPhase = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
      const connection = await Connection.connect({ address });
      const nativeConnection = await NativeConnection.connect({ address });
      try {
        const worker = await Worker.create({ connection: nativeConnection, taskQueue: TASK_QUEUE, workflowBundle });
        return await worker.runUntil(fn(new Client({ connection })));
      } finally {
        await connection.close();
        await nativeConnection.close();
      }
    };
    let server = await serve();
    await runPhase(async (client) => {
      const handle = await client.workflow.start(approvalGate, { taskQueue: TASK_QUEUE, workflowId });
      await handle.executeUpdate(approveUpdate, { args: ['pat'], updateId: 'approve-pat' });
      await handle.executeUpdate(approveUpdate, { args: ['quinn'], updateId: '$quinn' });
      await handle.startUpdate(holdUpdate, { args: ['h6'], updateId: 'hold-6', waitForStage: WorkflowUpdateStage.ACCEPTED });
    });

    // WHEN the server is killed and started again on the same file, and the same ids are sent again
    await server.kill();
    server = await serve();
    const after = await runPhase(async (client) => {
      const handle = client.workflow.getHandle<typeof approvalGate>(workflowId);
      const again = [
        await handle.executeUpdate(approveUpdate, { args: ['pat'], updateId: 'approve-pat' }),
        await handle.executeUpdate(approveUpdate, { args: ['quinn'], updateId: '$quinn' }),
      ];
      const hold = handle.getUpdateHandle<string>('hold-6');
      await handle.signal(releaseSignal);
      const held = await hold.result();
      await handle.signal(closeSignal);
      return { again, held, handled: await handle.result() };
    });

    // THEN the completed updates answered from history, the held one completed, and no handler ran twice
    expect(after.again).toEqual(['approved by pat', 'approved by quinn']);
    expect(after.held).toBe('released h6');
    expect(after.handled).toEqual(['approve:pat', 'approve:quinn', 'hold:h6']);
  }, 240_000); // a bundle and two server starts: minutes on a busy machine (a guard against a hang)
});

/**
 * Engine-level checks of what the SDK cannot provoke on purpose: a worker that ignores an
 * update, a failing speculative task, bad messages, the long-poll answer, closing with an
 * update not yet delivered.
 */
describe('engine: workflow update protocol', () => {
  const enums = temporal.api.enums.v1;
  const Stage = enums.UpdateWorkflowExecutionLifecycleStage;
  const call: CallContext = { deadlineMs: Number.POSITIVE_INFINITY, onCancel: () => undefined };

  function newEngine(updateLongPollMs?: number): Engine {
    return new Engine({ clock: new ManualClock(1_700_000_000_000), log: createLogger('never'), namespaces: ['default'], updateLongPollMs });
  }

  function start(engine: Engine, workflowId: string): void {
    engine.startWorkflowExecution({
      namespace: 'default',
      workflowId,
      workflowType: { name: 'wf' },
      taskQueue: { name: 'tq' },
      requestId: `${workflowId}-request`,
    });
  }

  function poll(engine: Engine) {
    return engine.pollWorkflowTaskQueue({ namespace: 'default', taskQueue: { name: 'tq' }, identity: 'test-worker' }, call);
  }

  function sendUpdate(engine: Engine, workflowId: string, updateId: string, stage = Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED) {
    return engine.updateWorkflowExecution(
      {
        namespace: 'default',
        workflowExecution: { workflowId },
        waitPolicy: { lifecycleStage: stage },
        request: { meta: { updateId, identity: 'test-client' }, input: { name: 'approve', args: { payloads: [] } } },
      },
      call,
    );
  }

  function historyTypes(engine: Engine, workflowId: string): string[] {
    const exec = [...engine.executions.values()].find((e) => e.workflowId === workflowId);
    return (exec?.log.encoded ?? []).map((bytes) =>
      enums.EventType[temporal.api.history.v1.HistoryEvent.decode(bytes).eventType ?? 0].replace('EVENT_TYPE_', ''),
    );
  }

  /** Completes a started task with one accepted+completed update (as core does it). */
  function acceptAndComplete(engine: Engine, taskToken: Uint8Array, updateId: string, sequencingEventId: number) {
    const pack = (type: string, value: Uint8Array) => ({ type_url: `type.googleapis.com/temporal.api.update.v1.${type}`, value });
    return engine.respondWorkflowTaskCompleted({
      taskToken,
      messages: [
        {
          id: `${updateId}/request/accept`,
          protocolInstanceId: updateId,
          body: pack('Acceptance', temporal.api.update.v1.Acceptance.encode({
            acceptedRequestMessageId: `${updateId}/request`,
            acceptedRequestSequencingEventId: Long.fromNumber(sequencingEventId),
          }).finish()),
        },
        {
          id: `${updateId}/request/complete`,
          protocolInstanceId: updateId,
          body: pack('Response', temporal.api.update.v1.Response.encode({
            meta: { updateId },
            outcome: { success: { payloads: [{ data: Buffer.from('"ok"') }] } },
          }).finish()),
        },
      ],
      commands: [
        { commandType: enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId: `${updateId}/request/accept` } },
        { commandType: enums.CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE, protocolMessageCommandAttributes: { messageId: `${updateId}/request/complete` } },
      ],
    });
  }

  async function idleRun(engine: Engine, workflowId: string): Promise<void> {
    start(engine, workflowId);
    const first = await poll(engine);
    engine.respondWorkflowTaskCompleted({ taskToken: first.taskToken });
  }

  it('carries the request as a protocol message sequenced before WorkflowTaskStarted, on a speculative task', async () => {
    // GIVEN an idle run
    const engine = newEngine();
    await idleRun(engine, 'wf-message');

    // WHEN an update is sent and the task it scheduled is polled, then completed by accepting and completing it
    const answer = sendUpdate(engine, 'wf-message', 'u1');
    const task = await poll(engine);
    const historyWhilePending = historyTypes(engine, 'wf-message');
    const [message] = task.messages ?? [];
    acceptAndComplete(engine, task.taskToken as Uint8Array, 'u1', Number(message.eventId));
    const response = await answer;

    // THEN the message names the update and the event before WorkflowTaskStarted; the task was
    // written only when kept, and the caller got the outcome at stage COMPLETED
    expect(message.id).toBe('u1/request');
    expect(message.protocolInstanceId).toBe('u1');
    expect(Number(message.eventId)).toBe(Number(task.startedEventId) - 1);
    expect(temporal.api.update.v1.Request.decode(message.body?.value ?? new Uint8Array()).input?.name).toBe('approve');
    expect(historyWhilePending).toEqual(['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED', 'WORKFLOW_TASK_COMPLETED']);
    expect(historyTypes(engine, 'wf-message').slice(4)).toEqual([
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
      'WORKFLOW_EXECUTION_UPDATE_COMPLETED',
    ]);
    expect(response.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    expect(Buffer.from(response.outcome?.success?.payloads?.[0].data ?? []).toString()).toBe('"ok"');
    expect(response.updateRef?.workflowExecution?.runId).toBeTruthy();
  });

  it('rejects an update the worker left unanswered and drops its speculative task', async () => {
    // GIVEN an idle run with an update on its way
    const engine = newEngine();
    await idleRun(engine, 'wf-unprocessed');
    const before = historyTypes(engine, 'wf-unprocessed');
    const answer = sendUpdate(engine, 'wf-unprocessed', 'u2');

    // (and a query made meanwhile, which rides the same task)
    const queried = engine.queryWorkflow({ namespace: 'default', execution: { workflowId: 'wf-unprocessed' }, query: { queryType: 'state' } }, call);

    // WHEN the worker completes the speculative task without answering the update, answering the query
    const task = await poll(engine);
    const [queryId] = Object.keys(task.queries ?? {});
    const completion = engine.respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      queryResults: {
        [queryId]: { resultType: enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED, answer: { payloads: [{ data: Buffer.from('"idle"') }] } },
      },
    });
    const response = await answer;

    // THEN the server rejects it, nothing was written, the worker is told where to roll back to,
    // and the query got its answer
    expect(response.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
    expect(response.outcome?.failure?.applicationFailureInfo?.type).toBe('UnprocessedUpdate');
    expect(historyTypes(engine, 'wf-unprocessed')).toEqual(before);
    expect(Number(completion.resetHistoryEventId)).toBe(3);
    expect(Buffer.from((await queried).queryResult?.payloads?.[0].data ?? []).toString()).toBe('"idle"');
  });

  it('writes a failing speculative task out and delivers its update again with the retry', async () => {
    // GIVEN an update delivered on a speculative task
    const engine = newEngine();
    await idleRun(engine, 'wf-spec-fail');
    const answer = sendUpdate(engine, 'wf-spec-fail', 'u3');
    const task = await poll(engine);

    // WHEN the worker fails that task, and then completes the retry by accepting and completing the update
    engine.respondWorkflowTaskFailed({ taskToken: task.taskToken, cause: enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE });
    const retry = await poll(engine);
    const [message] = retry.messages ?? [];
    acceptAndComplete(engine, retry.taskToken as Uint8Array, 'u3', Number(message.eventId));
    const response = await answer;

    // THEN the failed task is in history, the retry carried the same request, and the update completed
    expect(historyTypes(engine, 'wf-spec-fail').slice(4, 7)).toEqual([
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_FAILED',
    ]);
    expect(retry.attempt).toBe(2);
    expect(message.id).toBe('u3/request');
    expect(response.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED);
  });

  it('fails the task on a message that breaks the protocol, and the caller gets an error', async () => {
    // GIVEN an update delivered on a task
    const engine = newEngine();
    await idleRun(engine, 'wf-bad-message');
    const answer = sendUpdate(engine, 'wf-bad-message', 'u4').catch((err: unknown) => err);
    const task = await poll(engine);

    // WHEN the worker answers with a Response for an update it never accepted
    const completion = (() => {
      try {
        return engine.respondWorkflowTaskCompleted({
          taskToken: task.taskToken,
          messages: [
            {
              id: 'u4/request/complete',
              protocolInstanceId: 'u4',
              body: {
                type_url: 'type.googleapis.com/temporal.api.update.v1.Response',
                value: temporal.api.update.v1.Response.encode({ meta: { updateId: 'u4' }, outcome: { success: {} } }).finish(),
              },
            },
          ],
        });
      } catch (err) {
        return err;
      }
    })();

    // THEN the completion is refused, the task fails as a bad update message, and the caller is told
    expect(completion).toBeInstanceOf(ServiceError);
    expect((completion as ServiceError).message).toContain('invalid state transition');
    const failed = [...engine.executions.values()].find((e) => e.workflowId === 'wf-bad-message');
    const lastFailed = failed?.log.encoded
      .map((bytes) => temporal.api.history.v1.HistoryEvent.decode(bytes))
      .filter((e) => e.eventType === enums.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
      .at(-1);
    expect(lastFailed?.workflowTaskFailedEventAttributes?.cause).toBe(
      enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
    );
    const error = await answer;
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe(grpcStatus.FAILED_PRECONDITION);
  });

  it('answers the stage reached when the long poll runs out, and PollWorkflowExecutionUpdate the same', async () => {
    // GIVEN an engine whose update long polls last 50 ms and no worker
    const engine = newEngine(50);
    start(engine, 'wf-long-poll');

    // WHEN an update waits for COMPLETED and then its outcome is polled
    const response = await sendUpdate(engine, 'wf-long-poll', 'u5');
    const polled = await engine.pollWorkflowExecutionUpdate(
      {
        namespace: 'default',
        updateRef: { workflowExecution: { workflowId: 'wf-long-poll' }, updateId: 'u5' },
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      },
      call,
    );
    const unknown = await engine
      .pollWorkflowExecutionUpdate({ namespace: 'default', updateRef: { workflowExecution: { workflowId: 'wf-long-poll' }, updateId: 'nope' } }, call)
      .catch((err: unknown) => err);

    // THEN both answer ADMITTED with no outcome (the client asks again), and an unknown update id is NOT_FOUND
    expect(response.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    expect(response.outcome).toBeNull();
    expect(polled.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    expect((unknown as ServiceError).code).toBe(grpcStatus.NOT_FOUND);
  });

  it('answers UNAVAILABLE (which the client retries) for an update not yet accepted when the run continues as new', async () => {
    // GIVEN a run whose task is started when an update arrives
    const engine = newEngine();
    start(engine, 'wf-continue');
    const task = await poll(engine);
    const answer = sendUpdate(engine, 'wf-continue', 'u8').catch((err: unknown) => err);

    // WHEN the workflow continues as new in that task
    engine.respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      commands: [
        {
          commandType: enums.CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
          continueAsNewWorkflowExecutionCommandAttributes: { workflowType: { name: 'wf' }, taskQueue: { name: 'tq' } },
        },
      ],
    });

    // THEN the caller is told to retry, and a retry lands on the new run
    const error = (await answer) as ServiceError;
    expect(error.code).toBe(grpcStatus.UNAVAILABLE);
    const retried = sendUpdate(engine, 'wf-continue', 'u8', Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED);
    const response = await retried;
    expect(response.stage).toBe(Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED);
    expect(response.updateRef?.workflowExecution?.runId).not.toBe(task.workflowExecution?.runId);
  });

  it('takes the update long poll from --dynamic-config-value history.longPollExpirationInterval', () => {
    // WHEN the setting is given as the Temporal CLI takes it, and with a value that is no duration
    const { config } = parseArgs(['server', 'start-dev', '--dynamic-config-value', 'history.longPollExpirationInterval="1.5s"']);
    const bad = () => parseArgs(['server', 'start-dev', '--dynamic-config-value', 'history.longPollExpirationInterval=soon']);

    // THEN the duration is read, and the bad value is a usage error
    expect(dynamicConfigDurationMs(config, 'history.longPollExpirationInterval')).toBe(1500);
    expect(bad).toThrow(UsageError);
  });

  it('treats update ids such as "constructor" and "__proto__" as ordinary ids', async () => {
    // GIVEN an idle run
    const engine = newEngine();
    await idleRun(engine, 'wf-odd-ids');

    // WHEN updates with those ids are sent, delivered on one task and both accepted and completed
    const answers = ['constructor', '__proto__'].map((id) => sendUpdate(engine, 'wf-odd-ids', id));
    const task = await poll(engine);
    const ids = (task.messages ?? []).map((m) => m.protocolInstanceId);
    const pack = (type: string, value: Uint8Array) => ({ type_url: `type.googleapis.com/temporal.api.update.v1.${type}`, value });
    const messages = ['constructor', '__proto__'].flatMap((id) => [
      { id: `${id}/accept`, protocolInstanceId: id, body: pack('Acceptance', temporal.api.update.v1.Acceptance.encode({}).finish()) },
      {
        id: `${id}/complete`,
        protocolInstanceId: id,
        body: pack('Response', temporal.api.update.v1.Response.encode({ meta: { updateId: id }, outcome: { success: {} } }).finish()),
      },
    ]);
    engine.respondWorkflowTaskCompleted({ taskToken: task.taskToken, messages });
    const responses = await Promise.all(answers);

    // THEN both were ordinary updates that completed
    expect(ids).toEqual(['constructor', '__proto__']);
    expect(responses.map((r) => [r.updateRef?.updateId, r.stage])).toEqual([
      ['constructor', Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED],
      ['__proto__', Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED],
    ]);
    expect(historyTypes(engine, 'wf-odd-ids').filter((t) => t.startsWith('WORKFLOW_EXECUTION_UPDATE'))).toHaveLength(4);
  });

  it('fails updates not yet accepted when the run closes, and refuses new ones on a failing task', async () => {
    // GIVEN a run whose task is started when an update arrives
    const engine = newEngine();
    start(engine, 'wf-close');
    const task = await poll(engine);
    const answer = sendUpdate(engine, 'wf-close', 'u6').catch((err: unknown) => err);

    // WHEN the workflow completes in that task
    engine.respondWorkflowTaskCompleted({
      taskToken: task.taskToken,
      commands: [{ commandType: enums.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, completeWorkflowExecutionCommandAttributes: {} }],
    });

    // THEN the caller gets NOT_FOUND "update aborted by closing workflow"
    const error = (await answer) as ServiceError;
    expect(error.code).toBe(grpcStatus.NOT_FOUND);
    expect(error.message).toBe('update aborted by closing workflow');

    // AND GIVEN a run whose workflow task has failed twice
    start(engine, 'wf-failing');
    for (let i = 0; i < 2; i++) {
      const failing = await poll(engine);
      engine.respondWorkflowTaskFailed({ taskToken: failing.taskToken });
    }
    // WHEN an update is sent, THEN it is refused at once as FAILED_PRECONDITION
    const refused = (await sendUpdate(engine, 'wf-failing', 'u7').catch((err: unknown) => err)) as ServiceError;
    expect(refused.code).toBe(grpcStatus.FAILED_PRECONDITION);
    expect(refused.message).toContain('Workflow Task in failed state');
  });
});
