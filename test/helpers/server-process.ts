/** Starting a Temporal server executable as a child process: the dev server package's test helpers. */
export { freePort, launchServer, SERVER_READY_TIMEOUT_MS, SETUP_TIMEOUT_MS, waitUntilAnswering, type LaunchedServer } from '@cellops/temporal-dev/testing';
export { EXIT_WITH_PARENT_PRELOAD, EXIT_WITH_PARENT_VARIABLE, exitWithParentEnv } from '@cellops/temporal-dev/testing';
