/**
 * HTTP/2 flow-control windows of mlmesh's gRPC servers (shared/grpc/flow-window.ts): what a real
 * HTTP/2 client is told (SETTINGS_INITIAL_WINDOW_SIZE, and the connection window it may fill),
 * that requests larger than the window still arrive whole (the server keeps replenishing it),
 * that the default leaves Node's 65,535 in place, and that bad values are refused with the
 * option's name. Why the default is 65,535: test/shared/reset-burst.test.ts and flow-window.ts.
 */
import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import test from 'ava';
import { ConfigError, loadConfig } from '../../shared/config/index.js';
import { DEFAULT_FLOW_WINDOW_BYTES, GrpcServer, HTTP2_DEFAULT_WINDOW_BYTES, createClient, loadProtos, serviceDefinition, setFlowWindows, unaryCall } from '../../shared/grpc/index.js';
import type { UnaryHandler } from '../../shared/grpc/index.js';
import { hostOptions } from '../../shared/host/options.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';

const pkg = loadProtos(['inference/grpc_service.proto']);
const NAME = 'inference.GRPCInferenceService';

/** A server whose ModelInfer answers with the byte count of its one raw input. */
async function start(flowWindowBytes?: number): Promise<GrpcServer> {
  const definition = serviceDefinition(pkg, NAME);
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(definition).map((m) => [m, async () => ({})]));
  handlers['ModelInfer'] = async (req: { raw_input_contents: Buffer[] }) => ({ model_name: 'm', id: String(req.raw_input_contents[0]?.byteLength ?? -1) });
  return GrpcServer.create({
    port: 0,
    services: [{ name: NAME, definition, handlers, fastUnary: ['ModelInfer'] }],
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
    ...(flowWindowBytes !== undefined ? { flowWindowBytes } : {}),
  });
}

/** What a raw HTTP/2 client is granted: the per-stream initial window, and the connection window once the server's first frames are in. */
async function granted(port: number): Promise<{ stream: number; connection: number }> {
  const session: ClientHttp2Session = connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    // The connection's WINDOW_UPDATE follows the SETTINGS frame; a ping's answer comes after both.
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));
    return { stream: session.remoteSettings.initialWindowSize ?? -1, connection: session.state.remoteWindowSize ?? -1 };
  } finally {
    session.close();
  }
}

test('flow window - 1 MiB: clients may send 1 MiB per stream and per connection before a WINDOW_UPDATE', async (t) => {
  const server = await start(1024 * 1024);
  t.teardown(() => server.close());
  t.deepEqual(await granted(server.port), { stream: 1024 * 1024, connection: 1024 * 1024 });
});

test('flow window - the default keeps HTTP/2 and Node default windows, 65,535 (see flow-window.ts for why)', async (t) => {
  t.is(DEFAULT_FLOW_WINDOW_BYTES, HTTP2_DEFAULT_WINDOW_BYTES);
  const server = await start();
  t.teardown(() => server.close());
  t.deepEqual(await granted(server.port), { stream: 65_535, connection: 65_535 });
});

test('flow window - requests larger than the window arrive whole, several at once on one connection', async (t) => {
  const server = await start(256 * 1024);
  t.teardown(() => server.close());
  t.deepEqual(await granted(server.port), { stream: 256 * 1024, connection: 256 * 1024 });
  const client = createClient(pkg, NAME, `127.0.0.1:${server.port}`);
  t.teardown(() => client.close());
  // 3 MiB: twelve windows' worth, several calls at once so the connection window is shared.
  const sizes = [3 * 1024 * 1024, 300_000, 1, 256 * 1024, 256 * 1024 + 1];
  const answers = await Promise.all(sizes.map((n) => unaryCall<Record<string, unknown>, { id: string }>(client, 'ModelInfer', { model_name: 'm', raw_input_contents: [Buffer.alloc(n, 7)] })));
  t.deepEqual(
    answers.map((a) => Number(a.id)),
    sizes,
  );
});

test('flow window - values outside 65,535 … 2^31-1 are refused, naming the option and its variable', (t) => {
  t.throws(() => setFlowWindows([], 65_534), { instanceOf: RangeError, message: /65535 to 2147483647/ });
  t.throws(() => setFlowWindows([], 2 ** 31), { instanceOf: RangeError });
  t.throws(() => setFlowWindows([], 1.5), { instanceOf: RangeError });
  const specs = { ...hostOptions('inference', { grpcPort: 8001, httpPort: 8000, grpcServes: 'test' }) };
  const err = t.throws(() => loadConfig(specs, { env: { MLMESH_INFERENCE_GRPC_FLOW_WINDOW_BYTES: '1000' } }), { instanceOf: ConfigError });
  t.regex(err?.message ?? '', /grpcFlowWindowBytes/);
  t.regex(err?.message ?? '', /MLMESH_INFERENCE_GRPC_FLOW_WINDOW_BYTES/);
  t.is(loadConfig(specs, { env: { MLMESH_INFERENCE_GRPC_FLOW_WINDOW_BYTES: '4194304' } }).grpcFlowWindowBytes, 4 * 1024 * 1024);
  t.is(loadConfig(specs, { env: {} }).grpcFlowWindowBytes, DEFAULT_FLOW_WINDOW_BYTES);
});
