/**
 * Rewrites the fidelity list in README.md (which WorkflowService and OperatorService methods the
 * server answers) from the server's method table. `npm run readme:fidelity`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFidelitySection } from '../rpc/fidelity';

const path = join(__dirname, '..', 'README.md');
writeFileSync(path, withFidelitySection(readFileSync(path, 'utf8')));
console.log(`updated ${path}`);
