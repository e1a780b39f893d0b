/**
 * Runs the feature service as a process: `node dist/services/features/main.js`.
 * Options come from `MLMESH_CONFIG` (section `features`) and `MLMESH_FEATURES_*` variables;
 * SIGTERM or SIGINT drains it gracefully.
 */
import { drainOnSignals } from '../../shared/grpc/index.js';
import { FeaturesService } from './service.js';

try {
  const svc = await FeaturesService.create();
  drainOnSignals(() => svc.drain(), svc.logger);
} catch (e: unknown) {
  process.stderr.write(`features service failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
