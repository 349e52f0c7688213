/**
 * The data the CLI and the operator console show and the actions they take: plain functions of
 * a Temporal client and their inputs, returning plain data (no printing, no process state).
 */
export * from './errors';
export * from './procedure';
export * from './rollout-view';
export * from './list';
export * from './actions';
export * from './fleet';
export * from './aws-fleet-reader';
export * from './history';
export * from './web-ui';
export * from './start';
export * from './plan';
export * from './capacity-watch';
