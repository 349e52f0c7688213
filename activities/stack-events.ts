import type { StackEvent } from '@aws-sdk/client-cloudformation';

/** Reads one page of a stack's events (DescribeStackEvents: newest first). */
export type StackEventPager = (nextToken?: string) => Promise<{ events: StackEvent[]; nextToken?: string }>;

/** A resource that failed in a stack operation, from its `*_FAILED` event. */
export interface ResourceFailure {
  logicalResourceId: string;
  resourceType: string;
  status: string;
  reason: string;
}

const START_STATUSES = new Set(['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'DELETE_IN_PROGRESS', 'IMPORT_IN_PROGRESS']);
// Follow-on failures: CloudFormation cancels the resources still in flight once one fails.
const CANCELLED = /^Resource (creation|update|deletion) cancelled\.?$/i;

/**
 * The client request token of the stack's latest operation. CloudFormation stamps every event
 * an operation causes with the token of the request that started it, so the newest event tells
 * whether that operation was ours.
 */
export async function latestOperationToken(pager: StackEventPager): Promise<string | undefined> {
  const { events } = await pager();
  return events[0]?.ClientRequestToken;
}

/**
 * The events newer than `lastEventId`, newest first. Without a `lastEventId` only the first page
 * is read; with one, pages are followed until it is found (at most `maxPages`).
 */
export async function eventsSince(pager: StackEventPager, lastEventId: string | undefined, maxPages = 5): Promise<StackEvent[]> {
  const newer: StackEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await pager(nextToken);
    for (const event of result.events) {
      if (lastEventId !== undefined && event.EventId === lastEventId) return newer;
      newer.push(event);
    }
    nextToken = result.nextToken;
    if (lastEventId === undefined || nextToken === undefined) break;
  }
  return newer;
}

/**
 * The resources that failed in the stack's latest operation, oldest first (the first is usually
 * the cause). Reads events newest first and stops at the event that started the operation or at
 * an event of an earlier operation (another client request token).
 */
export async function latestOperationFailures(pager: StackEventPager, stackName: string, maxPages = 10): Promise<ResourceFailure[]> {
  const failures: ResourceFailure[] = [];
  let operationToken: string | undefined;
  let nextToken: string | undefined;
  scan: for (let page = 0; page < maxPages; page += 1) {
    const result = await pager(nextToken);
    for (const event of result.events) {
      if (operationToken === undefined) operationToken = event.ClientRequestToken;
      else if (event.ClientRequestToken !== undefined && event.ClientRequestToken !== operationToken) break scan;
      const status = event.ResourceStatus ?? '';
      if (status.endsWith('_FAILED')) {
        failures.push({
          logicalResourceId: event.LogicalResourceId ?? '?',
          resourceType: event.ResourceType ?? '?',
          status,
          reason: event.ResourceStatusReason ?? 'no reason given',
        });
      }
      const isStackEvent = event.LogicalResourceId === stackName && event.ResourceType === 'AWS::CloudFormation::Stack';
      if (isStackEvent && START_STATUSES.has(status)) break scan;
    }
    nextToken = result.nextToken;
    if (nextToken === undefined) break;
  }
  const causes = failures.filter((f) => !CANCELLED.test(f.reason));
  return (causes.length > 0 ? causes : failures).reverse();
}

/** `Service (AWS::ECS::Service) UPDATE_FAILED: <reason>; ...` */
export function describeFailures(failures: readonly ResourceFailure[]): string {
  return failures.map((f) => `${f.logicalResourceId} (${f.resourceType}) ${f.status}: ${f.reason}`).join('; ');
}

/** `Service UPDATE_IN_PROGRESS` (plus the reason when there is one), for progress reports. */
export function summarizeEvent(event: StackEvent): string {
  const base = `${event.LogicalResourceId ?? '?'} ${event.ResourceStatus ?? '?'}`;
  return event.ResourceStatusReason ? `${base}: ${event.ResourceStatusReason}` : base;
}
