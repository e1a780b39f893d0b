/**
 * Runs the gateway as a process: `node dist/services/gateway/main.js`. Options come from
 * `MLMESH_CONFIG` (section `gateway`) and `MLMESH_GATEWAY_*` variables (README.md); SIGTERM or
 * SIGINT drains it, SIGHUP re-reads the deployments folder. Exit codes: 0 drained, 1 failed to
 * start or to drain, 78 a bad option, 130 a second signal (shared/host EXIT_CODES).
 */
import { runMain } from '../../shared/host/index.js';
import { GatewayService } from './service.js';

await runMain('gateway service', async () => {
  const gateway = await GatewayService.create();
  process.on('SIGHUP', () => void gateway.reload().catch((e: unknown) => gateway.logger.error({ err: e }, 'reload on SIGHUP failed')));
  return gateway;
});
