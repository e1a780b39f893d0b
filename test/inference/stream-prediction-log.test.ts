/**
 * ModelStreamInfer requests go to the prediction log as unary ModelInfer requests do: one log
 * per successful request, under its own id (or the stream's id and its position when it has
 * none), none for a failed one. Real nats-server and JetStream.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { NatsConnection } from 'nats';
import { InferenceClient as PublicClient } from '../../shared/client/index.js';
import type { ModelStreamInferResponse } from '../../shared/client/index.js';
import { STREAMS, decodePredictionLog } from '../../shared/events/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { f32, startInference, waitFor } from '../helpers/inference.js';

async function logs(nc: NatsConnection, want: number): Promise<PredictionLog__Output[]> {
  const jsm = await nc.jetstreamManager();
  await waitFor(async () => (await jsm.streams.info(STREAMS.predictions.name)).state.messages >= want, 10_000, `${want} prediction logs`);
  const ci = await jsm.consumers.add(STREAMS.predictions.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await nc.jetstream().consumers.get(STREAMS.predictions.name, ci.name);
  const out: PredictionLog__Output[] = [];
  const total = (await jsm.streams.info(STREAMS.predictions.name)).state.messages;
  while (out.length < total) for await (const m of await consumer.fetch({ max_messages: total - out.length, expires: 2000 })) out.push(decodePredictionLog(m.data));
  await jsm.consumers.delete(STREAMS.predictions.name, ci.name);
  return out;
}

const digits = (id: string, cols = 64) => ({
  model_name: 'digits_mlp',
  id,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, cols] }],
  raw_input_contents: [f32(Array.from({ length: cols }, (_, i) => i / 100))],
});

test('stream prediction log - every successful stream request is logged under its id, a failed one is not', async (t) => {
  const nats = await NatsServer.start();
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: spool } });
  const nc = await connect({ servers: nats.url });
  const client = new PublicClient(f.service.address);
  try {
    await waitFor(() => f.service.publisher?.state === 'direct' && f.service.publisher.spoolPending === false, 10_000, 'publisher connected');
    const call = client.modelStreamInfer({ metadata: { 'x-request-id': 'stream-7' } });
    const answers: ModelStreamInferResponse[] = [];
    const reading = (async () => {
      for await (const a of call) answers.push(a);
    })();
    for (let i = 0; i < 10; i++) await call.write(digits(`s-${i}`));
    await call.write(digits('bad', 63));
    await call.write(digits(''));
    call.end();
    await reading;
    t.is(answers.filter((a) => a.error_message === '').length, 11);
    const got = await logs(nc, 11);
    const ids = got.map((l) => l.request_id).sort();
    // The request without an id is the 12th message on the stream (position 11).
    t.deepEqual(ids, [...Array.from({ length: 10 }, (_, i) => `s-${i}`), 'stream-7.11'].sort());
    t.true(got.every((l) => l.model === 'digits_mlp' && l.version === '1'));
    t.is(answers.find((a) => a.error_message === '' && a.infer_response?.id === 'stream-7.11')?.infer_response?.model_name, 'digits_mlp');
  } finally {
    client.close();
    await nc.close();
    await f.stop();
    await nats.stop();
    await rm(spool, { recursive: true, force: true });
  }
});
