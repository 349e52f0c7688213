/** The task queue cellops' own workflows and AWS activities run on. */
export const TASK_QUEUE = 'cellops';

/**
 * The task queue of the application hooks: the steps only the user's own system can do
 * (migrate customers, restore from backup, shed load, ...). The user's service may poll it
 * with its own worker; cellops ships a simulator and an HTTP webhook implementation.
 */
export const HOOKS_TASK_QUEUE = 'cellops-hooks';
