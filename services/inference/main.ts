/**
 * Runs the inference service as a process: `node dist/services/inference/main.js`. Options come from
 * `MLMESH_CONFIG` (section `inference`) and `MLMESH_INFERENCE_*` variables (README.md); SIGTERM or SIGINT
 * drains it. Exit codes: 0 drained, 1 failed to start or to drain, 78 a bad option, 130 a second
 * signal (shared/host EXIT_CODES).
 */
import { runMain } from '../../shared/host/index.js';
import { InferenceService } from './service.js';

await runMain('inference service', () => InferenceService.create());
