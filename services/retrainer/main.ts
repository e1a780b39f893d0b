/**
 * Runs the retrainer as a process: `node dist/services/retrainer/main.js`. Options come from
 * `MLMESH_CONFIG` (section `retrainer`) and `MLMESH_RETRAINER_*` variables (README.md); SIGTERM
 * or SIGINT drains it (a training job is stopped; its run resumes at the next start). Exit codes:
 * 0 drained, 1 failed to start or to drain, 78 a bad option, 130 a second signal (shared/host
 * EXIT_CODES).
 */
import { runMain } from '../../shared/host/index.js';
import { RetrainerService } from './service.js';

await runMain('retrainer service', () => RetrainerService.create());
