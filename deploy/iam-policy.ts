/**
 * Prints the worker's least-privilege IAM policy for a cell registry:
 * `npm run iam-policy [-- <registry.yaml> [<account id>]]` (default: cells.example.yaml and the
 * `${AWS::AccountId}` placeholder). deploy/iam-policy.json is this script's output for the example.
 */
import path from 'node:path';
import { workerIamPolicy } from '../domain/iam-policy';
import { loadRegistry } from '../domain/registry';

async function main(): Promise<void> {
  const [registryPath = path.resolve(__dirname, '../cells.example.yaml'), accountId] = process.argv.slice(2);
  const registry = await loadRegistry(registryPath);
  process.stdout.write(JSON.stringify(workerIamPolicy(registry, accountId), null, 2) + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
