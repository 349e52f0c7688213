/**
 * Client strings equal to Object.prototype names are ordinary ids and names: as workflow ids,
 * start and signal request ids and search attribute names, before and after a restart on the
 * same `--db-filename`.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parseArgs } from '../config';
import { createLogger } from '../log';
import { startDevServer, type RunningDevServer } from '../server';
import { eventsOfType } from './helpers';
import { tempDir } from './persistence/helpers';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const RUNNING = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

async function serve(file: string): Promise<RunningDevServer> {
  const { config } = parseArgs(['server', 'start-dev', '--port', '0', '--ip', '127.0.0.1', '--db-filename', file, '--headless']);
  return await startDevServer(config, createLogger('never'));
}

function keyword(value: string): temporal.api.common.v1.IPayload {
  return { metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') }, data: Buffer.from(JSON.stringify(value)) };
}

describe('dev server: Object.prototype names as client strings', () => {
  const temp = tempDir();
  afterAll(() => temp.cleanup());

  async function expectEveryRunIntact(connection: Connection): Promise<void> {
    const service = connection.workflowService;
    for (const name of NAMES) {
      const described = await service.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: name } });
      expect(described.workflowExecutionInfo?.status).toBe(RUNNING);
      expect(Object.keys(described.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {})).toEqual([name]);
      const history = await service.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: name } });
      // One signal per request id, the repeated request de-duplicated.
      expect(eventsOfType(history.history ?? {}, 'WORKFLOW_EXECUTION_SIGNALED')).toHaveLength(1);
      const matching = await service.countWorkflowExecutions({ namespace: 'default', query: `${name} = 'v-${name}'` });
      expect(Number(matching.count)).toBe(1);
    }
    const open = await service.listWorkflowExecutions({ namespace: 'default', query: 'CloseTime IS NULL' });
    expect(open.executions.map((e) => e.execution?.workflowId).sort()).toEqual([...NAMES].sort());
  }

  it('serves them through start, signal, search attributes, list and describe, and after a restart', async () => {
    // GIVEN a persisted server with a custom search attribute of each name
    let server = await serve(temp.file);
    let connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    const searchAttributes = Object.fromEntries(NAMES.map((name) => [name, KEYWORD]));
    await connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });

    // WHEN a workflow of each name is started (twice with the same request id), setting the
    // attribute of its name, and signalled twice with a request id of that name
    for (const name of NAMES) {
      const start = {
        namespace: 'default', workflowId: name, requestId: name, workflowType: { name: 'proto-names' }, taskQueue: { name: 'proto-names' },
        searchAttributes: { indexedFields: { [name]: keyword(`v-${name}`) } },
      };
      const first = await connection.workflowService.startWorkflowExecution(start);
      const repeated = await connection.workflowService.startWorkflowExecution(start);
      expect(repeated.runId).toBe(first.runId);
      for (let i = 0; i < 2; i++) {
        await connection.workflowService.signalWorkflowExecution({
          namespace: 'default', workflowExecution: { workflowId: name }, signalName: name, requestId: name,
        });
      }
    }

    // THEN every run reads back whole
    await expectEveryRunIntact(connection);
    const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.entries(listed.customAttributes ?? {}).sort()).toEqual(NAMES.map((name) => [name, KEYWORD]).sort());

    // AND the same after a restart on the same file
    await connection.close();
    await server.stop();
    server = await serve(temp.file);
    connection = await Connection.connect({ address: `127.0.0.1:${server.port}` });
    try {
      await expectEveryRunIntact(connection);
    } finally {
      await connection.close();
      await server.stop();
    }
  });
});
