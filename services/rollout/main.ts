/**
 * Runs the rollout service as a process: `node dist/services/rollout/main.js`. Options come from
 * `MLMESH_CONFIG` (section `rollout`) and `MLMESH_ROLLOUT_*` variables (README.md); SIGTERM or
 * SIGINT drains it (the controller gives its lease up). Exit codes: 0 drained, 1 failed to start
 * or to drain, 78 a bad option, 130 a second signal (shared/host EXIT_CODES).
 */
import { runMain } from '../../shared/host/index.js';
import { RolloutService } from './service.js';

await runMain('rollout service', () => RolloutService.create());
