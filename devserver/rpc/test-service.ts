import { invalidArgument } from '../engine/errors';
import { durationMs, timestamp, timestampMs, type pb } from '../engine/proto';
import type { TimeSkipping } from '../time-skipping';
import type { Handler } from './handlers';

interface SleepRequest {
  duration?: pb.IDuration | null;
}

interface SleepUntilRequest {
  timestamp?: pb.ITimestamp | null;
}

function sleepMs(req: SleepRequest): number {
  if (!req.duration) throw invalidArgument('Duration is not set on request.');
  const ms = durationMs(req.duration);
  if (ms < 0) throw invalidArgument('Duration must not be negative.');
  return ms;
}

/**
 * The TestService (temporal.api.testservice.v1) on a time-skipping server: every method, backed
 * by `skipping`. `TestWorkflowEnvironment` uses Lock/Unlock (around result waits),
 * UnlockTimeSkippingWithSleep (`env.sleep`) and GetCurrentTime (`env.currentTimeMs`).
 */
export function testServiceHandlers(skipping: TimeSkipping): Record<string, Handler> {
  return {
    LockTimeSkipping: () => {
      skipping.lock();
      return {};
    },
    UnlockTimeSkipping: () => {
      skipping.unlock();
      return {};
    },
    UnlockTimeSkippingWithSleep: async (_engine, req: SleepRequest, call) => {
      await skipping.unlockWithSleep(sleepMs(req), (cancel) => call.onCancel(cancel));
      return {};
    },
    Sleep: async (_engine, req: SleepRequest, call) => {
      await skipping.sleepUntil(skipping.now() + sleepMs(req), (cancel) => call.onCancel(cancel));
      return {};
    },
    SleepUntil: async (_engine, req: SleepUntilRequest, call) => {
      if (!req.timestamp) throw invalidArgument('Timestamp is not set on request.');
      await skipping.sleepUntil(timestampMs(req.timestamp), (cancel) => call.onCancel(cancel));
      return {};
    },
    GetCurrentTime: () => ({ time: timestamp(skipping.now()) }),
  };
}
