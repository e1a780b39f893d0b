/**
 * The gateway when a hop is slow, cancelled or down, against the real services: a deadline
 * shorter than the path ends the call naming the hop, and no later hop runs; a caller's cancel
 * reaches the hop in flight; a stopped service gives UNAVAILABLE naming it, and calls succeed
 * again once it is back. A TCP proxy (test/helpers/tcp-proxy.ts) stalls the preprocess hop.
 */
import test from 'ava';
import { CancelledError, DeadlineExceededError, GatewayClient, UnavailableError } from '../../shared/client/index.js';
import type { PredictResponse } from '../../shared/client/index.js';
import type { GatewayService } from '../../services/gateway/index.js';
import { APPLICANTS, deploymentYaml, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';
import { startFeatures } from '../helpers/features.js';
import { metricValue, waitFor } from '../helpers/inference.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let mesh: GatewayMesh;
let proxy: TcpProxy;
let stalled: { gateway: GatewayService; client: GatewayClient };

const ROW = { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' };

test.before(async () => {
  mesh = await startGatewayMesh({ deployments: { risk: deploymentYaml('risk', 1), risk_fast: deploymentYaml('risk_fast', 1, 'timeouts_ms: { preprocess: 300 }\n') } });
  proxy = await TcpProxy.start(mesh.preprocess.service.address);
  stalled = await mesh.extraGateway({ preprocessAddress: proxy.address });
  if (!stalled.gateway.deployments.get('risk_fast')) throw new Error(`risk_fast did not load: ${JSON.stringify(stalled.gateway.deployments.refused())}`);
});

test.after.always(async () => {
  await mesh?.stop();
  await proxy?.stop();
});

async function inferenceCalls(): Promise<number> {
  return (await metricValue(mesh.inference.http, 'mlmesh_inference_request_success_total')) + (await metricValue(mesh.inference.http, 'mlmesh_inference_request_failure_total'));
}

async function gatewayHops(gw: GatewayService, hop: string): Promise<number> {
  return metricValue(`http://127.0.0.1:${gw.httpPort}`, 'mlmesh_gateway_hop_duration_seconds_count', { hop });
}

test.serial('deadline - a hop slower than its timeout: DEADLINE_EXCEEDED naming it, and inference is never called', async (t) => {
  const res = await stalled.client.predictRows('risk_fast', [ROW]);
  t.is(res.predicted_rows, 1, 'the path works through the proxy');
  const calls = await inferenceCalls();
  const hops = await gatewayHops(stalled.gateway, 'inference');
  proxy.stall();
  try {
    const e = await t.throwsAsync(stalled.client.predictRows('risk_fast', [ROW], { timeoutMs: 20_000 }), { instanceOf: DeadlineExceededError });
    t.regex(e?.details ?? '', /^preprocess: DEADLINE_EXCEEDED: no answer within the hop's timeout of 300 ms/);
  } finally {
    proxy.release();
  }
  t.is(await inferenceCalls(), calls);
  t.is(await gatewayHops(stalled.gateway, 'inference'), hops);
});

test.serial("deadline - the caller's deadline shorter than the path: DEADLINE_EXCEEDED naming the hop that was running", async (t) => {
  const calls = await inferenceCalls();
  proxy.stall();
  try {
    const e = await t.throwsAsync(stalled.client.predictRows('risk', [ROW], { timeoutMs: 1500 }), { instanceOf: DeadlineExceededError });
    t.regex(e?.details ?? '', /^preprocess: DEADLINE_EXCEEDED: /);
  } finally {
    proxy.release();
  }
  t.is(await inferenceCalls(), calls);
});

test.serial("cancel - the caller's cancel reaches the hop in flight, and nothing after it runs", async (t) => {
  const calls = await inferenceCalls();
  const url = `http://127.0.0.1:${stalled.gateway.httpPort}`;
  const before = await metricValue(url, 'mlmesh_gateway_hop_failures_total', { hop: 'preprocess', code: 'CANCELLED' });
  proxy.stall();
  try {
    const ac = new AbortController();
    const call = stalled.client.predictRows('risk', [ROW], { signal: ac.signal, timeoutMs: 20_000 });
    await waitFor(() => proxy.heldBytes > 0, 10_000, 'the Transform call held by the proxy');
    ac.abort();
    await t.throwsAsync(call, { instanceOf: CancelledError });
    await waitFor(async () => (await metricValue(url, 'mlmesh_gateway_hop_failures_total', { hop: 'preprocess', code: 'CANCELLED' })) === before + 1, 10_000, 'the hop cancelled');
  } finally {
    proxy.release();
  }
  t.is(await inferenceCalls(), calls);
  t.pass();
});

test.serial('unavailable - a stopped service gives UNAVAILABLE naming it; once back, calls succeed again', async (t) => {
  const port = mesh.features.service.grpcPort;
  await mesh.features.stop();
  const e = await t.throwsAsync(mesh.client.predictRows('risk', [ROW]), { instanceOf: UnavailableError });
  t.regex(e?.details ?? '', /^features: UNAVAILABLE: .*127\.0\.0\.1:\d+\)$/);
  mesh.features = await startFeatures(mesh.location, { overrides: { grpcPort: port } });
  let res: PredictResponse | undefined;
  await waitFor(async () => {
    try {
      res = await mesh.client.predictRows('risk', [ROW]);
      return true;
    } catch (err: unknown) {
      if (err instanceof UnavailableError) return false;
      throw err;
    }
  }, 30_000, 'a Predict to succeed after the feature service is back');
  t.is(res?.predicted_rows, 1);
});
