/**
 * A bare grpc-js unary echo server (bench/echo.proto), the transport limit the benchmark compares
 * the inference service against. Same grpc-js, same message size limits, no work per call.
 * Prints `{"port": N}` on stdout once listening; SIGTERM stops it.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { projectRoot } from '../shared/config/index.js';
import { PROTO_LOADER_OPTIONS } from '../shared/grpc/index.js';

const pkg = protoLoader.loadSync(join(projectRoot(), 'bench/echo.proto'), PROTO_LOADER_OPTIONS);
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
server.addService(pkg['mlmesh.bench.v1.Echo'] as grpc.ServiceDefinition, {
  Call: (call: grpc.ServerUnaryCall<{ payload: Buffer }, { payload: Buffer }>, cb: grpc.sendUnaryData<{ payload: Buffer }>) => cb(null, { payload: call.request.payload }),
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
