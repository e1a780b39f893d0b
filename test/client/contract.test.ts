/**
 * The client's contract with protos/: every RPC of every service has a policy (retry, deadline)
 * and a method on its client; the service config grpc-js gets is valid and retries exactly the
 * idempotent methods; typed errors and tensor helpers behave at their edges.
 */
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { loadPackage } from '../../shared/protos/index.js';
import {
  FeaturesClient,
  InferResult,
  InferenceClient,
  InvalidArgumentError,
  MonitorClient,
  GatewayClient,
  NotFoundError,
  PreprocessClient,
  RpcError,
  SERVICES,
  UnavailableError,
  decodeInferOutputs,
  fromNpy,
  fromServiceError,
  serviceConfig,
  RolloutClient,
  RetrainerClient,
  toMatrix,
  toNpy,
} from '../../shared/client/index.js';
import { encodeStatusDetails } from '../../shared/status-details/index.js';

const CLIENTS = { inference: InferenceClient, preprocess: PreprocessClient, features: FeaturesClient, monitor: MonitorClient, gateway: GatewayClient, rollout: RolloutClient, retrainer: RetrainerClient } as const;
const lowerCamel = (s: string): string => s[0]?.toLowerCase() + s.slice(1);

test('client contract - every RPC in protos/ has a policy and a client method, and nothing else does', (t) => {
  for (const [key, spec] of Object.entries(SERVICES)) {
    const def = loadPackage([spec.proto])[spec.name] as grpc.ServiceDefinition;
    t.truthy(def, spec.name);
    t.deepEqual(Object.keys(spec.methods).sort(), Object.keys(def).sort(), `${spec.name}: methods classified`);
    for (const [method, d] of Object.entries(def)) {
      t.is((spec.methods as Record<string, { stream: boolean }>)[method]?.stream, d.responseStream, `${method}: stream flag`);
      const proto = CLIENTS[key as keyof typeof CLIENTS].prototype as unknown as Record<string, unknown>;
      t.is(typeof proto[lowerCamel(method)], 'function', `${key} client has ${lowerCamel(method)}()`);
    }
  }
});

test('client contract - the service config is one grpc-js accepts and retries UNAVAILABLE on the idempotent methods only', (t) => {
  const retry = { maxAttempts: 4, initialBackoffMs: 50, maxBackoffMs: 1500, backoffMultiplier: 1.5 };
  const json = serviceConfig(SERVICES.features, retry) as string;
  const cfg = JSON.parse(json) as { methodConfig: { name: { method: string }[]; retryPolicy: Record<string, unknown> }[] };
  t.deepEqual(cfg.methodConfig[0]?.retryPolicy, { maxAttempts: 4, initialBackoff: '0.05s', maxBackoff: '1.5s', backoffMultiplier: 1.5, retryableStatusCodes: ['UNAVAILABLE'] });
  const retried = cfg.methodConfig[0]?.name.map((n) => n.method).sort();
  t.deepEqual(retried, ['GetFeature', 'GetFeatureService', 'GetHistoricalFeatures', 'GetOnlineFeatures', 'ListFeatureServices', 'ListFeatures', 'RegisterFeature', 'RegisterFeatureService']);
  t.false(retried?.includes('WriteFeatures'));
  t.is(serviceConfig(SERVICES.features, undefined), undefined);
  // grpc-js validates the config when the channel is made: an invalid one throws here.
  const c = new FeaturesClient('127.0.0.1:1', { retry });
  c.close();
  t.pass();
});

test('client contract - a status trailer becomes the typed error with its details; a broken trailer is ignored', (t) => {
  const md = new grpc.Metadata();
  md.set('grpc-status-details-bin', encodeStatusDetails({ code: 3, message: 'bad', fieldViolations: [{ field: 'a.b', description: 'no' }], errorInfo: { reason: 'SPEC', domain: 'mlmesh', metadata: { step: 's' } }, requestInfo: { requestId: 'r1', servingData: '' } }));
  const e = fromServiceError(Object.assign(new Error('3 INVALID_ARGUMENT: bad'), { code: 3, details: 'bad', metadata: md }), '/x/Y');
  t.true(e instanceof InvalidArgumentError && e instanceof RpcError && e instanceof Error);
  t.is(e.field, 'a.b');
  t.is(e.reason, 'SPEC');
  t.deepEqual(e.errorInfo?.metadata, { step: 's' });
  t.is(e.requestId, 'r1');
  t.is(e.message, 'INVALID_ARGUMENT: bad');

  const broken = new grpc.Metadata();
  broken.set('grpc-status-details-bin', Buffer.from([0xff, 0xff, 0xff]));
  broken.set('x-request-id', 'r2');
  const b = fromServiceError(Object.assign(new Error('5'), { code: 5, details: 'gone', metadata: broken }), '/x/Y');
  t.true(b instanceof NotFoundError);
  t.deepEqual(b.fieldViolations, []);
  t.is(b.requestId, 'r2', 'falls back to the x-request-id trailer');
  t.true(fromServiceError(Object.assign(new Error('14'), { code: 14, details: 'down' }), '') instanceof UnavailableError);
  t.is(fromServiceError(new Error('plain'), '').codeName, 'UNKNOWN');
});

test('client contract - responses are checked: byte counts, unknown datatypes, typed contents', (t) => {
  const base = { model_name: 'm', model_version: '1', id: '', parameters: {} };
  const out = (datatype: string, shape: string[], contents: object | null = null) => ({ name: 'y', datatype, shape, parameters: {}, contents: contents as never });
  t.throws(() => decodeInferOutputs({ ...base, outputs: [out('FP32', ['2'])], raw_output_contents: [Buffer.alloc(7)] }), { message: /7 bytes, its shape needs 8/ });
  t.throws(() => decodeInferOutputs({ ...base, outputs: [out('BYTES', ['1'])], raw_output_contents: [Buffer.alloc(4)] }), { message: /BYTES is not supported/ });
  // A misaligned slice (as grpc-js hands out) still decodes: the data is copied.
  const backing = Buffer.alloc(9);
  backing.writeFloatLE(1.5, 1);
  backing.writeFloatLE(-2, 5);
  const r = new InferResult({ ...base, outputs: [out('FP32', ['2'])], raw_output_contents: [backing.subarray(1)] });
  t.deepEqual([...r.asArray<Float32Array>('y')], [1.5, -2]);
  const typed = new InferResult({ ...base, outputs: [out('UINT64', ['1', '2'], { uint64_contents: ['18446744073709551615', '0'] })], raw_output_contents: [] });
  t.deepEqual([...typed.asArray<BigUint64Array>('y')], [2n ** 64n - 1n, 0n]);
  t.throws(() => decodeInferOutputs({ ...base, outputs: [out('INT32', ['3'], { int_contents: [1, 2] })], raw_output_contents: [] }), { message: /2 values, its shape needs 3/ });
});

test('client contract - toMatrix and toNpy/fromNpy spare the byte handling', (t) => {
  const m = toMatrix([[1, 2, 3], [4, 5, 6]]);
  t.is(m.rows, 2);
  t.is(m.cols, 3);
  t.deepEqual([...new Float32Array(new Uint8Array(m.data as Buffer).slice().buffer)], [1, 2, 3, 4, 5, 6]);
  t.throws(() => toMatrix([[1, 2], [3]]), { message: /row 1 has 1 values, row 0 has 2/ });
  t.throws(() => toMatrix(new Float32Array(5), [2, 3]), { message: /5 values for shape \[2, 3\]/ });
  const ints = new BigInt64Array([-(2n ** 63n), 0n, 5n, 2n ** 63n - 1n]);
  const back = fromNpy(toNpy(ints, [2, 2]));
  t.is(back.datatype, 'INT64');
  t.deepEqual(back.shape, [2, 2]);
  t.deepEqual([...back.data], [...ints]);
});
