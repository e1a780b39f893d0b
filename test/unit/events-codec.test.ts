import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import protobuf from 'protobufjs';
import { projectRoot } from '../../shared/config/index.js';
import { decodePredictionLog, encodePredictionLog } from '../../shared/events/index.js';
import type { PredictionLog } from '../../shared/generated/mlmesh/events/v1/PredictionLog.js';

// encodePredictionLog skips protobufjs's fromObject (the hot path): the bytes must be those of
// the checked conversion for every shape of value the fields take.
const type = protobuf.parse(readFileSync(join(projectRoot(), 'protos/mlmesh/events/v1/events.proto'), 'utf8'), { keepCase: true }).root.lookupType('mlmesh.events.v1.PredictionLog');
const checked = (log: PredictionLog): Uint8Array => type.encode(type.fromObject(log)).finish();

const logs: [string, PredictionLog][] = [
  [
    'a served prediction',
    {
      meta: { event_id: 'e-1', time_unix_ms: 1_764_000_000_123, source: 'inference@host-1', producer_version: '0.1.0' },
      request_id: 'r-1',
      model: 'digits_mlp',
      version: '2',
      latency_us: 812,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], raw: new Uint8Array(new Float32Array(64).fill(0.25).buffer) }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10], raw: Buffer.from(new Float32Array(10).fill(0.1).buffer) }],
      parameters: { tenant: 'a', 'x-b': '1' },
      route: 'weights',
      route_revision: '17',
      shadow: false,
      inputs_omitted: false,
    },
  ],
  ['int64 as strings, empties', { meta: { event_id: 'e-2', time_unix_ms: '1764000000124' }, latency_us: '9007199254740993', inputs: [], outputs: [], parameters: {}, inputs_omitted: true, shadow: true }],
  ['nothing set', {}],
];

for (const [name, log] of logs) {
  test(`events codec - PredictionLog bytes as the checked conversion's: ${name}`, (t) => {
    const fast = encodePredictionLog(log);
    t.deepEqual(Buffer.from(fast), Buffer.from(checked(log)));
    t.deepEqual(decodePredictionLog(fast), type.toObject(type.decode(checked(log)), { longs: String, enums: String, defaults: true, oneofs: true, arrays: true, objects: true }));
  });
}
