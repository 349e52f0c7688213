/**
 * @module Signatures of the activities the dev server tests register (types only, no code).
 */
export interface TestActivities {
  echo(value: string): Promise<string>;
  flaky(failuresBeforeSuccess: number): Promise<string>;
  failWith(type: string, nonRetryable: boolean): Promise<string>;
  heartbeatThenFail(): Promise<string>;
  waitForCancellation(): Promise<string>;
  sleepFor(ms: number): Promise<string>;
  completeLater(): Promise<string>;
  signalSelf(): Promise<string>;
}
