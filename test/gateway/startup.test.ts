/**
 * A call that reaches a gateway process while it is still binding its deployments (a restart
 * under load) must be retryable: UNAVAILABLE, never NOT_FOUND "is not loaded", with health
 * NOT_SERVING until the deployments folder has been read. The gateway's inference hop goes
 * through a TCP proxy that holds every byte until the test releases it, so the start-up bind
 * (which asks inference for the model's metadata) stays under way as long as the test needs.
 */
import test from 'ava';
import { APPLICANTS, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';
import { GatewayClient, RpcError } from '../../shared/client/index.js';
import { grpc, healthCheck } from '../helpers/grpc.js';
import { waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let mesh: GatewayMesh;

test.before(async () => {
  mesh = await startGatewayMesh();
});

test.after.always(async () => {
  await mesh?.stop();
});

const ROW = [{ applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }];

/** The status of a Predict of `deployment`: 'OK' or the code's name with the message. */
async function predictStatus(client: GatewayClient, deployment: string): Promise<{ code: number; text: string }> {
  try {
    await client.predictRows(deployment, ROW, { timeoutMs: 10_000 });
    return { code: grpc.status.OK, text: 'OK' };
  } catch (e: unknown) {
    if (e instanceof RpcError) return { code: e.code, text: `${e.codeName}: ${e.details}` };
    throw e;
  }
}

test('startup - while the deployments bind: UNAVAILABLE (retryable), health NOT_SERVING; then served, and an absent deployment NOT_FOUND', async (t) => {
  const proxy = await TcpProxy.start(mesh.inference.service.address);
  proxy.stall();
  const child = runNode('services/gateway/main.js', [], {
    MLMESH_GATEWAY_GRPC_PORT: '0',
    MLMESH_GATEWAY_HTTP_PORT: '0',
    MLMESH_GATEWAY_DEPLOYMENTS_DIR: mesh.dir,
    MLMESH_GATEWAY_FEATURES_ADDRESS: mesh.features.service.address,
    MLMESH_GATEWAY_PREPROCESS_ADDRESS: mesh.preprocess.service.address,
    MLMESH_GATEWAY_INFERENCE_ADDRESS: proxy.address,
    MLMESH_GATEWAY_RELOAD_MS: '0',
    MLMESH_GATEWAY_BIND_TIMEOUT_MS: '120000',
    MLMESH_LOG_LEVEL: 'info',
  });
  let client: GatewayClient | undefined;
  try {
    const listening = await child.waitForLog((r) => r['msg'] === 'gRPC server listening', 60_000);
    const address = `127.0.0.1:${String(listening['port'])}`;
    // Retry off: the test looks at what the server answers, not what a retry makes of it.
    client = new GatewayClient(address, { retry: false });
    // The bind has asked inference through the stalled proxy: the start-up is under way.
    await waitFor(() => proxy.connections > 0, 30_000, 'the gateway to dial inference');

    t.is(await healthCheck(address), 'NOT_SERVING', 'health says NOT_SERVING while the deployments bind');
    const during = await predictStatus(client, 'risk');
    t.is(during.code, grpc.status.UNAVAILABLE, during.text);
    t.regex(during.text, /deployment 'risk' is not served yet: the gateway is starting/);
    t.false(child.stdout.some((l) => l.includes('gateway service ready')), 'still starting when the calls were answered');

    proxy.release();
    await child.waitForLog((r) => r['msg'] === 'gateway service ready', 60_000);
    t.is(await healthCheck(address), 'SERVING');
    const after = await predictStatus(client, 'risk');
    t.is(after.code, grpc.status.OK, after.text);
    // After the start-up, a deployment the folder does not hold is NOT_FOUND as ever.
    const absent = await predictStatus(client, 'no_such_deployment');
    t.is(absent.code, grpc.status.NOT_FOUND, absent.text);
    t.regex(absent.text, /deployment 'no_such_deployment' is not loaded \(loaded: risk\)/);
    child.proc.kill('SIGTERM');
    t.is(await child.exited, 0);
  } finally {
    client?.close();
    child.proc.kill('SIGKILL');
    proxy.release();
    await proxy.stop();
  }
});
