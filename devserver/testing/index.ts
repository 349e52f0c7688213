/**
 * @module Test helpers: a `TestWorkflowEnvironment` on the dev server (or a real Temporal server
 * when one is configured), the time-skipping form, and starting a server executable as a child
 * process.
 */
export {
  createLocalTestEnvironment,
  createTimeSkippingTestEnvironment,
  DEV_SERVER_EXECUTABLE,
  testServerKind,
  timeSkippingServerExecutable,
  type LocalTestEnvironmentOptions,
  type TestServerKind,
} from './test-environment';
export {
  EXIT_WITH_PARENT_PRELOAD,
  EXIT_WITH_PARENT_VARIABLE,
  exitWithParentEnv,
  freePort,
  launchServer,
  SERVER_READY_TIMEOUT_MS,
  SETUP_TIMEOUT_MS,
  waitUntilAnswering,
  type LaunchedServer,
} from './server-process';
