/**
 * Keeping a simulated fleet's virtual clock with the Temporal server's time, for runs where the
 * server skips time (tests, the demonstration): before each activity attempt the clock moves
 * to the attempt's scheduled time. Within an activity the clock's `sleep` skips at once, so
 * polls and backoffs cost no real time.
 */
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { VirtualClock } from '../simulator';

export function followServerTime(clock: VirtualClock): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const scheduled = ctx.info.currentAttemptScheduledTimestampMs;
        if (scheduled > clock.now()) clock.set(scheduled);
        return await next(input);
      },
    };
    return { inbound };
  };
}
