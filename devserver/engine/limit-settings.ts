/**
 * @module The real server's per-run size limits, with its defaults; each is the dynamic config
 * setting of the same name (`--dynamic-config-value limit.historyCount.error=N`).
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
}

/** The real server's defaults: 2 MiB / 512 KiB payloads, 51,200 / 10,240 events, 50 MiB / 10 MiB of history. */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = {
  blobSizeError: 2 * 1024 * 1024,
  blobSizeWarn: 512 * 1024,
  historyCountError: 50 * 1024,
  historyCountWarn: 10 * 1024,
  historySizeError: 50 * 1024 * 1024,
  historySizeWarn: 10 * 1024 * 1024,
};

/** Dynamic config key of each setting. */
export const LIMIT_SETTING_KEYS: Readonly<Record<keyof LimitSettings, string>> = {
  blobSizeError: 'limit.blobSize.error',
  blobSizeWarn: 'limit.blobSize.warn',
  historyCountError: 'limit.historyCount.error',
  historyCountWarn: 'limit.historyCount.warn',
  historySizeError: 'limit.historySize.error',
  historySizeWarn: 'limit.historySize.warn',
};
