/**
 * @module Every workflow the dev server tests run; the single `workflowsPath` of their bundle.
 */
export * from './basics';
export * from './activities';
export * from './messages';
export * from './properties';
export * from './updates';
export * from './time-skipping';
export * from './children';
export * from './continue-as-new';
export * from './external';
export * from './durable';
export * from './activity-sleep';
export * from './workflow-retry';
export * from './start-fields';
export * from './schedules';
export * from './user-metadata';
export * from './operator';
export * from './suggest-continue-as-new';
export * from './versioning';
export * from './oversized';
export * from './pending';
export * from './property-limits';
