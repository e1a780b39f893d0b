/** Small gRPC helpers for tests: health checks, reflection listing, status assertions. */
import * as grpc from '@grpc/grpc-js';
import type { ExecutionContext } from 'ava';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';

let pkg: ReturnType<typeof loadProtos> | undefined;

/** `grpc.health.v1.Health/Check` for `service` ('' = the whole server). */
export async function healthCheck(address: string, service = ''): Promise<string> {
  pkg ??= loadProtos(['inference/grpc_service.proto']);
  const client = createClient(pkg, 'grpc.health.v1.Health', address);
  try {
    const res = await unaryCall<{ service: string }, { status: string }>(client, 'Check', { service }, { deadlineMs: 2000 });
    return res.status;
  } finally {
    client.close();
  }
}

/** Services listed by server reflection (v1). */
export async function reflectionServices(address: string): Promise<string[]> {
  const protoLoader = await import('@grpc/proto-loader');
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const protoPath = require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto');
  const def = protoLoader.loadSync(protoPath, { keepCase: true, defaults: true, oneofs: true });
  const Ctor = grpc.makeGenericClientConstructor(def['grpc.reflection.v1.ServerReflection'] as grpc.ServiceDefinition, 'ServerReflection');
  const client = new Ctor(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const call = (client as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<unknown, { list_services_response?: { service: { name: string }[] } }> }).ServerReflectionInfo();
      call.on('data', (msg: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((msg.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
  } finally {
    client.close();
  }
}

/**
 * Asserts that `promise` rejects with gRPC status `code` and a message matching `pattern`
 * (the message must name the culprit).
 */
export async function assertStatus(t: ExecutionContext, promise: Promise<unknown>, code: grpc.status, pattern: RegExp): Promise<grpc.ServiceError> {
  const err = await t.throwsAsync<grpc.ServiceError & Error>(promise);
  t.is(err?.code, code, `expected ${grpc.status[code]}, got ${err ? grpc.status[err.code] : 'no error'}: ${err?.details}`);
  t.regex(err?.details ?? '', pattern);
  return err;
}

export { grpc };
