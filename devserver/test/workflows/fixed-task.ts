/**
 * @module A corrected `failWorkflowTask`: bundled on its own to play the "fixed deploy" that lets
 * a retried workflow task succeed.
 */

/** Same workflow type as the broken one in basics.ts, without the bug. */
export function failWorkflowTask(): Promise<string> {
  return Promise.resolve('fixed');
}
