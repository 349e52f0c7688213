import type { EngineContext, Txn } from '../engine/context';
import { failedPrecondition, invalidArgument, notFound } from '../engine/errors';
import { requireNamespace } from '../engine/namespaces';
import { enums, type api, type wsv } from '../engine/proto';
import type { NamespaceState } from '../engine/types';
import { POLLER_HISTORY_TTL_MS } from '../engine/task-queues';
import { deploymentInfo, deploymentSummary, versionInfo, versionStatus, versionTaskQueues } from './describe';
import { deploymentsOf, isRegistered, newVersion, registerPoller, versionString } from './routing';
import type { DeploymentVersionState, VersionRef, WorkerDeploymentState } from './types';

/** The real server's messages (service/worker/workerdeployment/util.go). */
const UNVERSIONED = '__unversioned__';
const errDeploymentNotFound = (name: string): string => `no Worker Deployment found with name '${name}'; does your Worker Deployment have pollers?`;
const errVersionNotFound = (buildId: string, name: string): string => `build ID '${buildId}' not found in Worker Deployment '${name}'`;
const errCurrentMissingQueues = (v: string): string =>
  `proposed current version '${v}' is missing active task queues from the current version; these would become unversioned if it is set as the current version`;
const errRampingMissingQueues = (v: string): string =>
  `proposed ramping version '${v}' is missing active task queues from the current version; these would become unversioned if it is set as the ramping version`;

/** What the deployments need of the engine besides its context. */
export interface DeploymentsHost extends EngineContext {
  transact<T>(fn: (txn: Txn) => T): T;
}

function conflictToken(deployment: WorkerDeploymentState): Uint8Array {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64LE(BigInt(deployment.revision));
  return bytes;
}

function sameToken(given: Uint8Array | null | undefined, deployment: WorkerDeploymentState): boolean {
  return !given || given.length === 0 || Buffer.from(given).equals(conflictToken(deployment));
}

/** The build id a Set*Version request names ('' = unversioned): `build_id`, else the deprecated `version` string. */
function requestedBuildId(name: string, buildId: string | null | undefined, version: string | null | undefined): string {
  if (buildId) return buildId;
  if (!version || version === UNVERSIONED) return '';
  const ref = parseVersionString(version);
  if (ref.deploymentName !== name) throw invalidArgument(`version ${version} is not of Worker Deployment '${name}'`);
  return ref.buildId;
}

function parseVersionString(version: string): VersionRef {
  const dot = version.indexOf('.');
  if (dot <= 0 || dot === version.length - 1) throw invalidArgument(`invalid version string '${version}': expected <deployment name>.<build id>`);
  return { deploymentName: version.slice(0, dot), buildId: version.slice(dot + 1) };
}

/** The version a Describe/Delete/UpdateMetadata request names: `deployment_version`, else the deprecated string. */
function requestedVersion(req: { deploymentVersion?: api.deployment.v1.IWorkerDeploymentVersion | null; version?: string | null }): VersionRef {
  const v = req.deploymentVersion;
  if (v?.deploymentName && v.buildId) return { deploymentName: v.deploymentName, buildId: v.buildId };
  if (req.version) return parseVersionString(req.version);
  throw invalidArgument('DeploymentVersion is not set on request.');
}

/**
 * Worker deployments as the real server keeps them with its deployment system workflows:
 * versioned workers' polls register their deployment, version and task queues; the routing
 * config (current and ramping version) says where new tasks go (`routing.ts`); Describe and
 * List report it with each version's status and drainage. Done here in the engine's
 * transactions instead, so every change is immediate (`routingConfigUpdateState` is always
 * COMPLETED) and, with `--db-filename`, persisted with the namespace.
 */
export class WorkerDeployments {
  /** When a version's workers last polled (by namespace, deployment and build id); not persisted, like poller history. */
  private readonly lastPolls = new Map<string, number>();

  constructor(private readonly host: DeploymentsHost) {}

  /** A versioned worker polls `taskQueue` (of `type`): registered if new, remembered as a live poller. */
  workerPolled(ns: NamespaceState, ref: VersionRef, taskQueue: string, type: enums.TaskQueueType): void {
    const now = this.host.clock.now();
    this.lastPolls.set(pollKey(ns, ref), now);
    if (isRegistered(ns, ref, taskQueue, type)) return;
    this.host.transact((txn) => {
      registerPoller(ns, ref, taskQueue, type, now);
      txn.namespaces.add(ns);
      // A queue new to a current or ramping version now routes to it.
      txn.rematch.push({ namespace: ns.name, taskQueue });
    });
  }

  describeWorkerDeployment(req: wsv.IDescribeWorkerDeploymentRequest): wsv.IDescribeWorkerDeploymentResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const deployment = this.requireDeployment(ns, req.deploymentName);
    return { conflictToken: conflictToken(deployment), workerDeploymentInfo: deploymentInfo(this.host, ns, deployment) };
  }

  describeWorkerDeploymentVersion(req: wsv.IDescribeWorkerDeploymentVersionRequest): wsv.IDescribeWorkerDeploymentVersionResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const ref = requestedVersion(req);
    const deployment = this.requireDeployment(ns, ref.deploymentName);
    const version = this.requireVersion(deployment, ref.buildId);
    return {
      workerDeploymentVersionInfo: versionInfo(this.host, ns, deployment, version),
      versionTaskQueues: versionTaskQueues(this.host, ns, ref, version, req.reportTaskQueueStats === true),
    };
  }

  /** ListWorkerDeployments, oldest first, `pageSize` at a time (all when 0); the token is the index of the next one. */
  listWorkerDeployments(req: wsv.IListWorkerDeploymentsRequest): wsv.IListWorkerDeploymentsResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const all = [...deploymentsOf(ns).values()];
    let from = 0;
    if (req.nextPageToken && req.nextPageToken.length > 0) {
      from = Number(Buffer.from(req.nextPageToken).toString('utf8'));
      if (!Number.isInteger(from) || from < 0) throw invalidArgument('Invalid NextPageToken.');
    }
    const to = (req.pageSize ?? 0) > 0 ? Math.min(all.length, from + (req.pageSize as number)) : all.length;
    return {
      workerDeployments: all.slice(from, to).map((d) => deploymentSummary(this.host, ns, d)),
      nextPageToken: to < all.length ? Buffer.from(String(to)) : Buffer.alloc(0),
    };
  }

  /**
   * SetWorkerDeploymentCurrentVersion: new workflows (and tasks of unpinned ones) go to the
   * version; the previous current version starts draining. As the real server: no change when
   * the version is already current and set by the same identity; a stale conflict token, a
   * version its workers never polled (unless `allowNoPollers`) or one missing an active task
   * queue of the current version (unless `ignoreMissingTaskQueues`) are refused.
   */
  setWorkerDeploymentCurrentVersion(req: wsv.ISetWorkerDeploymentCurrentVersionRequest): wsv.ISetWorkerDeploymentCurrentVersionResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const name = requireName(req.deploymentName);
    const buildId = requestedBuildId(name, req.buildId, req.version);
    const identity = req.identity ?? '';
    return this.host.transact((txn) => {
      const deployment = this.requireDeployment(ns, name);
      const previous = deployment.currentBuildId;
      const answer = (): wsv.ISetWorkerDeploymentCurrentVersionResponse => ({
        conflictToken: conflictToken(deployment),
        previousVersion: previous ? versionString({ deploymentName: name, buildId: previous }) : UNVERSIONED,
        previousDeploymentVersion: previous ? { deploymentName: name, buildId: previous } : null,
      });
      if (previous === buildId && deployment.lastModifierIdentity === identity) return answer();
      if (!sameToken(req.conflictToken, deployment)) throw failedPrecondition('conflict token mismatch');
      const version = buildId ? this.versionToActivate(deployment, buildId, req.allowNoPollers === true) : undefined;
      const previousVersion = previous ? deployment.versions.get(previous) : undefined;
      if (version && previousVersion && req.ignoreMissingTaskQueues !== true && this.missesActiveQueues(ns, previousVersion, version)) {
        throw failedPrecondition(errCurrentMissingQueues(versionString({ deploymentName: name, buildId })));
      }
      const now = this.host.clock.now();
      if (version && previous !== buildId) {
        activate(version, now);
        version.currentSinceTimeMs = now;
        version.lastCurrentTimeMs = now;
        version.rampingSinceTimeMs = 0;
        version.rampPercentage = 0;
      }
      if (previousVersion && previous !== buildId) deactivate(previousVersion, now);
      // Current and ramping are never the same version (the unversioned workers included).
      if (deployment.ramping?.buildId === buildId) {
        deployment.ramping = null;
        deployment.rampingChangedTimeMs = now;
      }
      deployment.currentBuildId = buildId;
      deployment.currentChangedTimeMs = now;
      this.changed(ns, deployment, identity, txn);
      return answer();
    });
  }

  /**
   * SetWorkerDeploymentRampingVersion: `percentage` of new workflow ids go to the version (the
   * unversioned workers for an empty build id with a percentage, or the deprecated
   * `__unversioned__`); an empty build id with 0 % removes the ramp. Refusals as for the current
   * version, plus a version that is already current.
   */
  setWorkerDeploymentRampingVersion(req: wsv.ISetWorkerDeploymentRampingVersionRequest): wsv.ISetWorkerDeploymentRampingVersionResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const name = requireName(req.deploymentName);
    const buildId = requestedBuildId(name, req.buildId, req.version);
    const percentage = req.percentage ?? 0;
    if (!(percentage >= 0 && percentage <= 100)) throw invalidArgument(`Percentage must be between 0 and 100, got ${percentage}.`);
    const unset = buildId === '' && percentage === 0 && req.version !== UNVERSIONED;
    const identity = req.identity ?? '';
    return this.host.transact((txn) => {
      const deployment = this.requireDeployment(ns, name);
      const previous = deployment.ramping;
      const answer = (): wsv.ISetWorkerDeploymentRampingVersionResponse => ({
        conflictToken: conflictToken(deployment),
        previousVersion: previous ? (previous.buildId ? versionString({ deploymentName: name, buildId: previous.buildId }) : UNVERSIONED) : '',
        previousDeploymentVersion: previous?.buildId ? { deploymentName: name, buildId: previous.buildId } : null,
        previousPercentage: previous?.percentage ?? 0,
      });
      const sameTarget = unset ? previous === null : previous !== null && previous.buildId === buildId;
      if (sameTarget && (previous?.percentage ?? 0) === percentage && deployment.lastModifierIdentity === identity) return answer();
      if (!sameToken(req.conflictToken, deployment)) throw failedPrecondition('conflict token mismatch');
      const label = buildId ? versionString({ deploymentName: name, buildId }) : UNVERSIONED;
      if (!unset && buildId === deployment.currentBuildId) throw failedPrecondition(`requested ramping version ${label} is already current`);
      const now = this.host.clock.now();
      const previousVersion = previous?.buildId ? deployment.versions.get(previous.buildId) : undefined;
      if (unset) {
        if (previousVersion) deactivate(previousVersion, now);
        deployment.ramping = null;
        deployment.rampingChangedTimeMs = now;
      } else if (sameTarget && previous) {
        previous.percentage = percentage;
        previous.percentageChangedMs = now;
        if (previousVersion) {
          previousVersion.rampPercentage = percentage;
          previousVersion.routingUpdateTimeMs = now;
        }
      } else {
        const version = buildId ? this.versionToActivate(deployment, buildId, req.allowNoPollers === true) : undefined;
        const current = deployment.currentBuildId ? deployment.versions.get(deployment.currentBuildId) : undefined;
        if (version && current && req.ignoreMissingTaskQueues !== true && this.missesActiveQueues(ns, current, version)) {
          throw failedPrecondition(errRampingMissingQueues(label));
        }
        if (version) {
          activate(version, now);
          version.rampingSinceTimeMs = now;
          version.rampPercentage = percentage;
        }
        if (previousVersion) deactivate(previousVersion, now);
        deployment.ramping = { buildId, percentage, sinceMs: now, percentageChangedMs: now };
        deployment.rampingChangedTimeMs = now;
      }
      this.changed(ns, deployment, identity, txn);
      return answer();
    });
  }

  /** DeleteWorkerDeploymentVersion: refused while current or ramping, draining (unless `skipDrainage`) or polled. */
  deleteWorkerDeploymentVersion(req: wsv.IDeleteWorkerDeploymentVersionRequest): wsv.IDeleteWorkerDeploymentVersionResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const ref = requestedVersion(req);
    return this.host.transact((txn) => {
      const deployment = this.requireDeployment(ns, ref.deploymentName);
      const version = this.requireVersion(deployment, ref.buildId);
      const label = versionString(ref);
      if (deployment.currentBuildId === ref.buildId || deployment.ramping?.buildId === ref.buildId) {
        throw failedPrecondition(`version '${label}' cannot be deleted since it is current or ramping`);
      }
      const { status } = versionStatus(this.host, ns, deployment, version);
      if (status === enums.WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING && req.skipDrainage !== true) {
        throw failedPrecondition(`version '${label}' cannot be deleted since it is draining`);
      }
      const lastPoll = this.lastPolls.get(pollKey(ns, ref)) ?? 0;
      if (lastPoll > 0 && this.host.clock.now() - lastPoll < POLLER_HISTORY_TTL_MS) {
        throw failedPrecondition(`version '${label}' cannot be deleted since it has active pollers`);
      }
      deployment.versions.delete(ref.buildId);
      deployment.lastModifierIdentity = req.identity ?? '';
      txn.namespaces.add(ns);
      return {};
    });
  }

  /** DeleteWorkerDeployment: only once it has no versions left. */
  deleteWorkerDeployment(req: wsv.IDeleteWorkerDeploymentRequest): wsv.IDeleteWorkerDeploymentResponse {
    const ns = requireNamespace(this.host, req.namespace);
    return this.host.transact((txn) => {
      const deployment = this.requireDeployment(ns, req.deploymentName);
      if (deployment.versions.size > 0) throw failedPrecondition("deployment has versions, can't be deleted");
      deploymentsOf(ns).delete(deployment.name);
      txn.namespaces.add(ns);
      return {};
    });
  }

  /** UpdateWorkerDeploymentVersionMetadata: upserts, then removes, entries; answers the whole metadata. */
  updateWorkerDeploymentVersionMetadata(
    req: wsv.IUpdateWorkerDeploymentVersionMetadataRequest,
  ): wsv.IUpdateWorkerDeploymentVersionMetadataResponse {
    const ns = requireNamespace(this.host, req.namespace);
    const ref = requestedVersion(req);
    return this.host.transact((txn) => {
      const version = this.requireVersion(this.requireDeployment(ns, ref.deploymentName), ref.buildId);
      for (const [key, value] of Object.entries(req.upsertEntries ?? {})) version.metadata.set(key, value);
      for (const key of req.removeEntries ?? []) version.metadata.delete(key);
      version.lastModifierIdentity = req.identity ?? '';
      txn.namespaces.add(ns);
      return { metadata: { entries: Object.fromEntries(version.metadata) } };
    });
  }

  private requireDeployment(ns: NamespaceState, name: string | null | undefined): WorkerDeploymentState {
    const deployment = deploymentsOf(ns).get(requireName(name));
    if (!deployment) throw notFound(errDeploymentNotFound(name ?? ''));
    return deployment;
  }

  private requireVersion(deployment: WorkerDeploymentState, buildId: string): DeploymentVersionState {
    const version = deployment.versions.get(buildId);
    if (!version) throw notFound(errVersionNotFound(buildId, deployment.name));
    return version;
  }

  /** The version to make current or ramping; one never polled is created only with `allowNoPollers`. */
  private versionToActivate(deployment: WorkerDeploymentState, buildId: string, allowNoPollers: boolean): DeploymentVersionState {
    const known = deployment.versions.get(buildId);
    if (known) return known;
    if (!allowNoPollers) throw notFound(errVersionNotFound(buildId, deployment.name));
    const created = newVersion(buildId, this.host.clock.now());
    deployment.versions.set(buildId, created);
    return created;
  }

  /**
   * Whether `next` lacks a task queue of `current` that is in use. The real server counts a
   * queue in use when it has a backlog or a task add rate; here, when tasks wait in it.
   */
  private missesActiveQueues(ns: NamespaceState, current: DeploymentVersionState, next: DeploymentVersionState): boolean {
    return current.taskQueues.some((q) => {
      if (next.taskQueues.some((n) => n.name === q.name && n.type === q.type)) return false;
      const matching = q.type === enums.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY ? this.host.activityMatching : this.host.workflowMatching;
      return matching.backlogSize(ns.name, q.name) > 0;
    });
  }

  /** After a routing change: new conflict token, modifier, persisted, waiting tasks routed again. */
  private changed(ns: NamespaceState, deployment: WorkerDeploymentState, identity: string, txn: Txn): void {
    deployment.revision++;
    deployment.lastModifierIdentity = identity;
    txn.namespaces.add(ns);
    const queues = new Set<string>();
    for (const version of deployment.versions.values()) for (const q of version.taskQueues) queues.add(q.name);
    for (const taskQueue of queues) txn.rematch.push({ namespace: ns.name, taskQueue });
  }
}

function requireName(name: string | null | undefined): string {
  if (!name) throw invalidArgument('DeploymentName is not set on request.');
  return name;
}

function pollKey(ns: NamespaceState, ref: VersionRef): string {
  return `${ns.name}\u0000${ref.deploymentName}\u0000${ref.buildId}`;
}

/** A version becomes current or ramping. */
function activate(version: DeploymentVersionState, nowMs: number): void {
  if (version.firstActivationTimeMs === 0) version.firstActivationTimeMs = nowMs;
  version.lastDeactivationTimeMs = 0;
  version.routingUpdateTimeMs = nowMs;
}

/** A version stops being current or ramping: it drains (see `versionStatus`). */
function deactivate(version: DeploymentVersionState, nowMs: number): void {
  version.currentSinceTimeMs = 0;
  version.rampingSinceTimeMs = 0;
  version.rampPercentage = 0;
  version.lastDeactivationTimeMs = nowMs;
  version.routingUpdateTimeMs = nowMs;
}
