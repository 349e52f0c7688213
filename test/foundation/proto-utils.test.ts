import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';

// Two copies of protobufjs (one for @grpc/proto-loader, one for @temporalio/*) break these
// helpers with "type must be a Type"; package.json pins a single hoisted protobufjs@8.
describe('history JSON conversion', () => {
  it('round-trips a history through historyFromJSON and historyToJSON', () => {
    // GIVEN a history in the JSON form `temporal workflow show -o json` writes
    const json = {
      events: [
        {
          eventId: '1',
          eventTime: '2026-01-01T00:00:00Z',
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          workflowExecutionStartedEventAttributes: {
            workflowType: { name: 'cellRestart' },
            taskQueue: { name: 'cellops', kind: 'TASK_QUEUE_KIND_NORMAL' },
          },
        },
      ],
    };

    // WHEN it is parsed into protobuf objects and written back
    const history = historyFromJSON(json);
    const back = JSON.parse(historyToJSON(history)) as typeof json;

    // THEN the event survives with its id, type and attributes
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('cellRestart');
    expect(back.events[0]).toMatchObject(json.events[0]);
  });
});
