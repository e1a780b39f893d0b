/**
 * The two lower layers of `mlmesh bench inference-layers` (bench/inference-layers.ts), each a
 * ModelInfer server that answers every call with the same single-row answer (as large as
 * digits_mlp's) and does no inference:
 *   raw   node:http2 alone: reads the gRPC frame, decodes the request with proto-loader's
 *         deserializer, answers with a prepared frame and `grpc-status: 0` trailers. The floor:
 *         what Node's HTTP/2 and protobufjs cost per call.
 *   host  mlmesh's GrpcServer (shared/grpc/server.ts) with ModelInfer on the fast unary path, as
 *         the inference service serves it, and a handler that returns the answer at once: the
 *         call context, authorization check, request id, metrics, trailers and the fast path.
 *   host-grpcjs  the same with the fast unary path off (ModelInfer through grpc-js).
 * Prints `{"port": N}` on stdout once listening; SIGTERM stops it.
 */
import http2 from 'node:http2';
import type { ServerHttp2Stream } from 'node:http2';
import { DEFAULT_FLOW_WINDOW_BYTES, GrpcServer, loadProtos, serviceDefinition, setFlowWindows } from '../shared/grpc/index.js';
import type { UnaryHandler } from '../shared/grpc/index.js';
import { createLogger } from '../shared/logging/index.js';
import { createRegistry } from '../shared/metrics/index.js';

const mode = process.argv[2];
if (mode !== 'raw' && mode !== 'host' && mode !== 'host-grpcjs') {
  process.stderr.write(`bench/layers-server.js: mode must be raw, host or host-grpcjs, got '${mode ?? ''}'\n`);
  process.exit(2);
}
const NAME = 'inference.GRPCInferenceService';
const pkg = loadProtos(['inference/grpc_service.proto']);
const definition = serviceDefinition(pkg, NAME);
const infer = definition['ModelInfer'];
if (!infer) throw new Error('no ModelInfer in the protos');
const answer = { model_name: 'digits_mlp', model_version: '1', id: 'layers', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10] }], raw_output_contents: [Buffer.alloc(40)] };

if (mode === 'raw') {
  const body = infer.responseSerialize(answer);
  const frame = Buffer.alloc(5 + body.byteLength);
  frame.writeUInt32BE(body.byteLength, 1);
  body.copy(frame, 5);
  const server = http2.createServer();
  setFlowWindows([server], DEFAULT_FLOW_WINDOW_BYTES);
  server.on('stream', (stream: ServerHttp2Stream) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      infer.requestDeserialize(Buffer.concat(chunks).subarray(5));
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : -1 })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(definition).map((m) => [m, async () => ({})]));
  handlers['ModelInfer'] = async () => answer;
  const server = await GrpcServer.create({
    port: 0,
    services: [{ name: NAME, definition, handlers, fastUnary: ['ModelInfer'], requestIdOf: (method, r) => (method === 'ModelInfer' ? (r as { id?: string }).id : undefined) }],
    fastUnary: mode === 'host',
    packageDefinition: pkg,
    logger: createLogger({ service: 'inference', level: 'info' }),
    registry: createRegistry({ service: 'inference', processMetrics: false }),
  });
  server.setServing(true);
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}
