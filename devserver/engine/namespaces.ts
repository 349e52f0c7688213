import { randomUUID } from 'node:crypto';
import type { EngineContext } from './context';
import { invalidArgument, namespaceNotFound } from './errors';
import { duration, enums, wsv } from './proto';
import type { ExecutionState, NamespaceState } from './types';

/** The cluster name the server reports (GetClusterInfo, namespace replication config), as a real dev server does. */
export const CLUSTER_NAME = 'active';

const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

/** A new, empty namespace. */
export function newNamespace(name: string): NamespaceState {
  return {
    name,
    id: randomUUID(),
    description: '',
    retentionMs: DEFAULT_RETENTION_MS,
    customSearchAttributes: {},
    runsByWorkflowId: new Map(),
    startRequestIds: new Map(),
  };
}

/** The namespace a request names; a missing name is INVALID_ARGUMENT, an unknown one NOT_FOUND. */
export function requireNamespace(ctx: EngineContext, name: string | null | undefined): NamespaceState {
  if (!name) throw invalidArgument('Namespace not set on request.');
  const ns = ctx.namespaces.get(name);
  if (!ns) throw namespaceNotFound(name);
  return ns;
}

/** DescribeNamespace's answer. Capabilities stay unset on purpose (no worker heartbeats, no pagination). */
export function describeNamespace(ns: NamespaceState): wsv.IDescribeNamespaceResponse {
  return {
    namespaceInfo: {
      name: ns.name,
      state: enums.NamespaceState.NAMESPACE_STATE_REGISTERED,
      description: ns.description,
      id: ns.id,
      supportsSchedules: true,
    },
    config: {
      workflowExecutionRetentionTtl: duration(ns.retentionMs),
      historyArchivalState: enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
      visibilityArchivalState: enums.ArchivalState.ARCHIVAL_STATE_DISABLED,
    },
    replicationConfig: {
      activeClusterName: CLUSTER_NAME,
      clusters: [{ clusterName: CLUSTER_NAME }],
      state: enums.ReplicationState.REPLICATION_STATE_NORMAL,
    },
    isGlobalNamespace: false,
  };
}

/** Records a new run of a workflow id (the last one is the current run). */
export function addRun(ns: NamespaceState, workflowId: string, runId: string): void {
  const runs = ns.runsByWorkflowId.get(workflowId);
  if (runs) runs.push(runId);
  else ns.runsByWorkflowId.set(workflowId, [runId]);
}

/** The current (latest) run of a workflow id, if any. */
export function currentRun(ctx: EngineContext, ns: NamespaceState, workflowId: string): ExecutionState | undefined {
  const runs = ns.runsByWorkflowId.get(workflowId);
  return runs ? ctx.executions.get(runs[runs.length - 1]) : undefined;
}
