/**
 * The simulated cell fleet: fake CloudFormation, Route 53 and CloudWatch clients (real SDK v3
 * clients answered in memory) over a fleet built from the cell registry, with faults, a
 * seedable run and a record of every call. See `createSimulatedFleet`.
 */
export { createSimulatedFleet, type SimulatedFleetOptions, type SimulatedFleetRun } from './create-fleet';
export { createSimulatedHooks } from './hooks';
export { SIMULATOR_MIDDLEWARE, SimulatorNetworkError, SimulatorUnsupportedCommandError, type SimulatedClients } from './clients';
export { CallLog, type AwsService, type CallFilter, type RecordedCall, type RecordedService } from './calls';
export { DEFAULT_VIRTUAL_START, VirtualClock, realClock, type SimClock } from './clock';
export { DEFAULT_TIMING, INSTANT_TIMING, resolveTiming, type SimulatorTiming } from './timing';
export { FAULT_KINDS } from './faults';
export type * from './faults';
export type { AlarmView, CellView, FleetSnapshot, HooksView, MinuteView, RecordView, SimulatedFleet, StackEventView, StackView } from './fleet';
export type { CellHealth } from './model/metrics';
export { Random, hashString, mulberry32 } from './random';
export { createSimulatedSns, selfSignedCertificate, type SignedSnsMessage, type SimulatedSns } from './sns';
