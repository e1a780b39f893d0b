/**
 * Runs the monitor service as a process: `node dist/services/monitor/main.js`. Options come from
 * `MLMESH_CONFIG` (section `monitor`) and `MLMESH_MONITOR_*` variables (README.md); SIGTERM or SIGINT
 * drains it. Exit codes: 0 drained, 1 failed to start or to drain, 78 a bad option, 130 a second
 * signal (shared/host EXIT_CODES).
 */
import { runMain } from '../../shared/host/index.js';
import { MonitorService } from './service.js';

await runMain('monitor service', () => MonitorService.create());
