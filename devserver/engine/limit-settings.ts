/**
 * @module The real server's per-run size and count limits, with its defaults; each is the dynamic
 * config setting of the same name (`--dynamic-config-value limit.historyCount.error=N`).
 */

export interface LimitSettings {
  /** `limit.blobSize.error` / `limit.blobSize.warn`: bytes of one payload field of a request or command. */
  blobSizeError: number;
  blobSizeWarn: number;
  /** `limit.historyCount.error` / `limit.historyCount.warn`: events in a run's history. */
  historyCountError: number;
  historyCountWarn: number;
  /** `limit.historySize.error` / `limit.historySize.warn`: bytes of a run's history. */
  historySizeError: number;
  historySizeWarn: number;
  /** `limit.memoSize.error` / `limit.memoSize.warn`: bytes of a run's memo (on start, and merged by a memo upsert). */
  memoSizeError: number;
  memoSizeWarn: number;
  /** `frontend.searchAttributesNumberOfKeysLimit`: search attributes one request or command may set. */
  searchAttributesNumberOfKeys: number;
  /** `frontend.searchAttributesSizeOfValueLimit`: bytes of one search attribute value. */
  searchAttributesSizeOfValue: number;
  /** `frontend.searchAttributesTotalSizeLimit`: bytes of a run's encoded search attributes. */
  searchAttributesTotalSize: number;
  /** `limit.numPending*.error`: pending activities, children, external signals and external cancel requests of a run (0: no limit). */
  numPendingActivitiesError: number;
  numPendingChildExecutionsError: number;
  numPendingSignalsError: number;
  numPendingCancelRequestsError: number;
}

/**
 * The real server's defaults: 2 MiB / 512 KiB payloads, 51,200 / 10,240 events, 50 MiB / 10 MiB of
 * history, 2 MiB / 2 KiB memo, 100 search attributes of 2 KiB each and 40 KiB in all, 2,000 of
 * each pending kind.
 */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = {
  blobSizeError: 2 * 1024 * 1024,
  blobSizeWarn: 512 * 1024,
  historyCountError: 50 * 1024,
  historyCountWarn: 10 * 1024,
  historySizeError: 50 * 1024 * 1024,
  historySizeWarn: 10 * 1024 * 1024,
  memoSizeError: 2 * 1024 * 1024,
  memoSizeWarn: 2 * 1024,
  searchAttributesNumberOfKeys: 100,
  searchAttributesSizeOfValue: 2 * 1024,
  searchAttributesTotalSize: 40 * 1024,
  numPendingActivitiesError: 2000,
  numPendingChildExecutionsError: 2000,
  numPendingSignalsError: 2000,
  numPendingCancelRequestsError: 2000,
};

/** Dynamic config key of each setting. */
export const LIMIT_SETTING_KEYS: Readonly<Record<keyof LimitSettings, string>> = {
  blobSizeError: 'limit.blobSize.error',
  blobSizeWarn: 'limit.blobSize.warn',
  historyCountError: 'limit.historyCount.error',
  historyCountWarn: 'limit.historyCount.warn',
  historySizeError: 'limit.historySize.error',
  historySizeWarn: 'limit.historySize.warn',
  memoSizeError: 'limit.memoSize.error',
  memoSizeWarn: 'limit.memoSize.warn',
  searchAttributesNumberOfKeys: 'frontend.searchAttributesNumberOfKeysLimit',
  searchAttributesSizeOfValue: 'frontend.searchAttributesSizeOfValueLimit',
  searchAttributesTotalSize: 'frontend.searchAttributesTotalSizeLimit',
  numPendingActivitiesError: 'limit.numPendingActivities.error',
  numPendingChildExecutionsError: 'limit.numPendingChildExecutions.error',
  numPendingSignalsError: 'limit.numPendingSignals.error',
  numPendingCancelRequestsError: 'limit.numPendingCancelRequests.error',
};
