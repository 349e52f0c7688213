import type { SearchAttributeType } from './types';

/**
 * Temporal's system attributes plus its predefined ones (`sadefs/constants.go`): every namespace
 * has them, and custom attributes may not reuse their names.
 */
export const BUILT_IN_SEARCH_ATTRIBUTES: ReadonlyMap<string, SearchAttributeType> = new Map<string, SearchAttributeType>([
  // System: stored as separate fields of every run.
  ['WorkflowId', 'Keyword'],
  ['RunId', 'Keyword'],
  ['WorkflowType', 'Keyword'],
  ['StartTime', 'Datetime'],
  ['ExecutionTime', 'Datetime'],
  ['CloseTime', 'Datetime'],
  ['ExecutionStatus', 'Keyword'],
  ['TaskQueue', 'Keyword'],
  ['HistoryLength', 'Int'],
  ['ExecutionDuration', 'Int'],
  ['StateTransitionCount', 'Int'],
  ['HistorySizeBytes', 'Int'],
  ['ParentWorkflowId', 'Keyword'],
  ['ParentRunId', 'Keyword'],
  ['RootWorkflowId', 'Keyword'],
  ['RootRunId', 'Keyword'],
  // Predefined: set by the server or the SDKs, stored with the custom ones.
  ['TemporalChangeVersion', 'KeywordList'],
  ['BinaryChecksums', 'KeywordList'],
  ['BuildIds', 'KeywordList'],
  ['BatcherNamespace', 'Keyword'],
  ['BatcherUser', 'Keyword'],
  ['TemporalScheduledStartTime', 'Datetime'],
  ['TemporalScheduledById', 'Keyword'],
  ['TemporalSchedulePaused', 'Bool'],
  ['TemporalNamespaceDivision', 'Keyword'],
  ['TemporalPauseInfo', 'KeywordList'],
  ['TemporalReportedProblems', 'KeywordList'],
  ['TemporalWorkerDeploymentVersion', 'Keyword'],
  ['TemporalWorkflowVersioningBehavior', 'Keyword'],
  ['TemporalWorkerDeployment', 'Keyword'],
  ['TemporalUsedWorkerDeploymentVersions', 'KeywordList'],
]);

const RESERVED_PREFIX = 'Temporal';

/** An attribute a query names, under the name records use for it. */
export interface ResolvedAttribute {
  readonly name: string;
  readonly type: SearchAttributeType;
}

/**
 * Resolves a name the way Temporal does (`store/query/resolve.go`): built-ins, then custom
 * attributes, then the built-in with a `Temporal` prefix (`ScheduledById` is
 * `TemporalScheduledById`); `TemporalBuildIds` is `BuildIds`. Names are case-sensitive.
 */
export function resolveAttribute(
  name: string,
  custom: ReadonlyMap<string, SearchAttributeType>,
): ResolvedAttribute | undefined {
  if (name.startsWith(RESERVED_PREFIX)) {
    const canonical = name === `${RESERVED_PREFIX}BuildIds` ? 'BuildIds' : name;
    const type = BUILT_IN_SEARCH_ATTRIBUTES.get(canonical);
    return type ? { name: canonical, type } : undefined;
  }
  const type = BUILT_IN_SEARCH_ATTRIBUTES.get(name) ?? custom.get(name);
  if (type) return { name, type };
  const prefixed = BUILT_IN_SEARCH_ATTRIBUTES.get(RESERVED_PREFIX + name);
  return prefixed ? { name: RESERVED_PREFIX + name, type: prefixed } : undefined;
}

/** A known attribute spelled like `name` but for case, to suggest in an error. */
export function similarAttribute(name: string, custom: ReadonlyMap<string, SearchAttributeType>): string | undefined {
  const lower = name.toLowerCase();
  for (const known of [...BUILT_IN_SEARCH_ATTRIBUTES.keys(), ...custom.keys()]) {
    if (known.toLowerCase() === lower) return known;
  }
  return undefined;
}
