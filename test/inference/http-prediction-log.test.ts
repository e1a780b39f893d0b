/**
 * An infer over the HTTP/REST binding is logged as a gRPC ModelInfer is: one PredictionLog on
 * the model/version subject, with the request id from `x-request-id`, the tensors sent and
 * returned, and the request parameters; a failed HTTP infer logs nothing. Real NATS (a private
 * nats-server), real HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { NatsConnection } from 'nats';
import { STREAMS, decodePredictionLog } from '../../shared/events/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { f32, startInference, waitFor } from '../helpers/inference.js';

async function storedCount(nc: NatsConnection): Promise<number> {
  return (await (await nc.jetstreamManager()).streams.info(STREAMS.predictions.name)).state.messages;
}

async function readAll(nc: NatsConnection): Promise<{ subject: string; log: PredictionLog__Output }[]> {
  const total = await storedCount(nc);
  const jsm = await nc.jetstreamManager();
  const ci = await jsm.consumers.add(STREAMS.predictions.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await nc.jetstream().consumers.get(STREAMS.predictions.name, ci.name);
  const out: { subject: string; log: PredictionLog__Output }[] = [];
  while (out.length < total) {
    for await (const m of await consumer.fetch({ max_messages: total - out.length, expires: 2000 })) out.push({ subject: m.subject, log: decodePredictionLog(m.data) });
  }
  await jsm.consumers.delete(STREAMS.predictions.name, ci.name);
  return out;
}

test('http prediction log - an HTTP infer is logged like a gRPC one (request id from x-request-id, tensors, parameters); a refused one is not', async (t) => {
  const nats = await NatsServer.start();
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: spool } });
  const nc = await connect({ servers: nats.url });
  try {
    await waitFor(() => f.service.publisher?.state === 'direct' && f.service.publisher.spoolPending === false, 10_000, 'publisher connected');
    const pixels = Array.from({ length: 64 }, (_, i) => (i % 9) / 8);
    const viaGrpc = await f.client.infer({ model_name: 'digits_mlp', id: 'grpc-1', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(pixels)], parameters: { entity_id: { string_param: 'user-7' } } });
    const res = await fetch(`${f.http}/v2/models/digits_mlp/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'http-trace-1' },
      body: JSON.stringify({ id: 'body-id', parameters: { entity_id: 'user-7' }, inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: pixels }] }),
    });
    t.is(res.status, 200);
    t.is(res.headers.get('x-request-id'), 'http-trace-1');
    const refused = await fetch(`${f.http}/v2/models/digits_mlp/infer`, { method: 'POST', headers: { 'x-request-id': 'http-bad' }, body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP64', data: pixels }] }) });
    t.is(refused.status, 400);
    // A later gRPC call marks that the publisher has gone past the refused one.
    await f.client.infer({ model_name: 'digits_mlp', id: 'grpc-marker', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(pixels)] });
    await waitFor(async () => (await storedCount(nc)) >= 3, 10_000, '3 logs');
    const logs = await readAll(nc);
    t.deepEqual(logs.map((l) => l.log.request_id).sort(), ['grpc-1', 'grpc-marker', 'http-trace-1'], 'the refused HTTP infer is not logged');
    const h = logs.find((l) => l.log.request_id === 'http-trace-1') as { subject: string; log: PredictionLog__Output };
    const g = logs.find((l) => l.log.request_id === 'grpc-1') as { subject: string; log: PredictionLog__Output };
    t.is(h.subject, 'mlmesh.predictions.digits_mlp.1');
    t.is(h.subject, g.subject);
    t.is(h.log.version, '1');
    t.deepEqual(h.log.inputs.map((x) => [x.name, x.datatype, x.shape.map(Number)]), [['input', 'FP32', [1, 64]]]);
    t.deepEqual(Buffer.from(h.log.inputs[0]?.raw ?? []), Buffer.from(g.log.inputs[0]?.raw ?? []), 'the same input bytes as the gRPC call');
    t.deepEqual(Buffer.from(h.log.outputs[0]?.raw ?? []), viaGrpc.raw_output_contents[0], 'the outputs returned');
    t.is(h.log.parameters['entity_id'], 'user-7');
    t.true(Number(h.log.latency_us) > 0);
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
    await rm(spool, { recursive: true, force: true });
  }
});
