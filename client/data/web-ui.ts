/** Links into the Temporal Web UI. */

/** The Web UI's default address (`temporal server start-dev`, `npm run devserver`). */
export const DEFAULT_WEB_UI_URL = 'http://localhost:8233';

/** The Web UI page of a workflow (its latest run unless `runId` is given). */
export function workflowWebUiUrl(baseUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const path = `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${path}/${encodeURIComponent(runId)}/history` : path;
}
