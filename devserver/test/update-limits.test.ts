/**
 * Update limits through the unmodified SDK: a run holds at most 10 updates in flight (the real
 * server's `history.maxInFlightUpdates`); one more is refused with RESOURCE_EXHAUSTED and the real
 * server's message, and is admitted once one of them completes.
 */
import { status } from '@grpc/grpc-js';
import { Client, Connection, WithStartWorkflowOperation, WorkflowUpdateStage } from '@temporalio/client';
import { uniqueId, useTestWorkflows } from './helpers';
import { approvalGate, approveUpdate, closeSignal, holdUpdate, releaseSignal } from './workflows';

const TASK_QUEUE = 'devserver-update-limits';

/** The gRPC status code of an SDK error or its cause. */
function grpcCode(err: unknown): number | undefined {
  const withCode = err as { code?: unknown; cause?: { code?: unknown } };
  if (typeof withCode.code === 'number') return withCode.code;
  return typeof withCode.cause?.code === 'number' ? withCode.cause.code : undefined;
}

describe('dev server: update limits', () => {
  const wf = useTestWorkflows(TASK_QUEUE);

  it('refuses an eleventh in-flight update with RESOURCE_EXHAUSTED, and admits it once one completes', async () => {
    // A client without the SDK's retries, so the refusal itself is seen (the SDK retries RESOURCE_EXHAUSTED).
    const connection = await Connection.connect({ address: wf.env.connection.options.address, interceptors: [] });
    const client = new Client({ connection });
    try {
      await wf.withWorker(async () => {
        // GIVEN a run with 10 accepted updates waiting for a release
        const workflowId = uniqueId('in-flight');
        const handle = await client.workflow.start(approvalGate, { workflowId, taskQueue: TASK_QUEUE });
        const held = [];
        for (let i = 0; i < 10; i++) {
          held.push(await handle.startUpdate(holdUpdate, { args: [`h${i}`], waitForStage: WorkflowUpdateStage.ACCEPTED }));
        }

        // WHEN an eleventh update arrives
        const refused = await handle.executeUpdate(approveUpdate, { args: ['alice'] }).catch((err: unknown) => err);

        // THEN it is refused as the real server refuses it
        expect(grpcCode(refused)).toBe(status.RESOURCE_EXHAUSTED);
        expect(String((refused as { cause?: unknown }).cause ?? refused)).toMatch(/limit on number of concurrent in-flight updates has been reached \(10\)/);

        // WHEN the held updates complete
        await handle.signal(releaseSignal);
        expect(await Promise.all(held.map((h) => h.result()))).toHaveLength(10);

        // THEN a new update is admitted and answered
        expect(await handle.executeUpdate(approveUpdate, { args: ['alice'] })).toBe('approved by alice');
        await handle.signal(closeSignal);
        await handle.result();
      });
    } finally {
      await connection.close();
    }
  });

  it('answers update-with-start with an invalid start with the start\'s own INVALID_ARGUMENT', async () => {
    // GIVEN an update-with-start whose start names a workflow id over the 1,000-character limit
    const startWorkflowOperation = new WithStartWorkflowOperation(approvalGate, {
      workflowId: 'x'.repeat(1001),
      taskQueue: TASK_QUEUE,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    // WHEN it is sent
    const error = await wf.env.client.workflow
      .executeUpdateWithStart(approveUpdate, { args: ['alice'], startWorkflowOperation })
      .catch((err: unknown) => err);
    // THEN the answer is the start's INVALID_ARGUMENT, not a multi-operation failure
    expect(grpcCode(error)).toBe(status.INVALID_ARGUMENT);
    expect(String((error as { cause?: unknown }).cause ?? error)).toMatch(/WorkflowId/);
    expect(String((error as { cause?: unknown }).cause ?? error)).not.toMatch(/MultiOperation|multi-operation/i);
  });
});
