/**
 * Runs the inference service as a process: `node dist/services/inference/main.js`.
 * Options come from `MLMESH_CONFIG` (section `inference`) and `MLMESH_*` variables; SIGTERM or
 * SIGINT drains it gracefully.
 */
import { drainOnSignals } from '../../shared/grpc/index.js';
import { InferenceService } from './service.js';

try {
  const svc = await InferenceService.create();
  drainOnSignals(() => svc.drain(), svc.logger);
} catch (e: unknown) {
  process.stderr.write(`inference service failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
