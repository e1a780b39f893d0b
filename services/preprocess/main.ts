/**
 * Runs the preprocess service as a process: `node dist/services/preprocess/main.js`.
 * Options come from `MLMESH_CONFIG` (section `preprocess`) and `MLMESH_PREPROCESS_*` variables;
 * SIGTERM or SIGINT drains it gracefully.
 */
import { drainOnSignals } from '../../shared/grpc/index.js';
import { PreprocessService } from './service.js';

try {
  const svc = await PreprocessService.create();
  drainOnSignals(() => svc.drain(), svc.logger);
} catch (e: unknown) {
  process.stderr.write(`preprocess service failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
