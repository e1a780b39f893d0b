/**
 * A bare grpc-js unary echo server (bench/echo.proto), the transport limit the benchmark compares
 * the inference service against. Same grpc-js, same message size limits, no work per call.
 * A request with `respond_bytes` > 0 is answered with that many bytes (one buffer per size, made
 * once), so the echo's response can be as large as the inference service's. Its HTTP/2 windows
 * are the services' (DEFAULT_FLOW_WINDOW_BYTES, shared/grpc/flow-window.ts), so that the two
 * differ in the work per call, not in transport settings.
 * Prints `{"port": N}` on stdout once listening; SIGTERM stops it.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { projectRoot } from '../shared/config/index.js';
import { DEFAULT_FLOW_WINDOW_BYTES, PROTO_LOADER_OPTIONS, setFlowWindows } from '../shared/grpc/index.js';
import { http2ServersOf } from '../shared/grpc/reset-guard.js';

const pkg = protoLoader.loadSync(join(projectRoot(), 'bench/echo.proto'), PROTO_LOADER_OPTIONS);
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
const answers = new Map<number, Buffer>();
function answerOf(size: number): Buffer {
  let b = answers.get(size);
  if (!b) answers.set(size, (b = Buffer.alloc(size)));
  return b;
}
type EchoMessage = { payload: Buffer; respond_bytes?: number };
server.addService(pkg['mlmesh.bench.v1.Echo'] as grpc.ServiceDefinition, {
  Call: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, cb: grpc.sendUnaryData<EchoMessage>) => {
    const n = call.request.respond_bytes ?? 0;
    cb(null, { payload: n > 0 ? answerOf(n) : call.request.payload });
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  setFlowWindows(http2ServersOf(server), DEFAULT_FLOW_WINDOW_BYTES);
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
