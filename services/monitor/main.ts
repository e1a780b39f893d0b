/**
 * Runs the drift monitor as a process: `node dist/services/monitor/main.js`.
 * Options come from `MLMESH_CONFIG` (section `monitor`) and `MLMESH_MONITOR_*` / `NATS_URL`
 * variables; SIGTERM or SIGINT drains it gracefully.
 */
import { drainOnSignals } from '../../shared/grpc/index.js';
import { MonitorService } from './service.js';

try {
  const svc = await MonitorService.create();
  drainOnSignals(() => svc.drain(), svc.logger);
} catch (e: unknown) {
  process.stderr.write(`monitor failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
