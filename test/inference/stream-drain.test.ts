/**
 * A graceful stop with a ModelStreamInfer stream open: the requests the server has read are
 * answered, then the stream ends UNAVAILABLE (reopen elsewhere) and the drain finishes without
 * waiting out the shutdown grace.
 */
import test from 'ava';
import { InferenceClient as PublicClient, isRpcError } from '../../shared/client/index.js';
import type { ModelStreamInferResponse } from '../../shared/client/index.js';
import { f32, startInference, waitFor } from '../helpers/inference.js';

test('stream drain - read requests are answered, then the stream ends UNAVAILABLE and the drain is prompt', async (t) => {
  const f = await startInference({ models: ['slow_chain'], overrides: { shutdownGraceMs: 30_000 } });
  const client = new PublicClient(f.service.address, { retry: false });
  try {
    const call = client.modelStreamInfer();
    const answers: ModelStreamInferResponse[] = [];
    const reading = (async () => {
      try {
        for await (const a of call) answers.push(a);
        return 'OK';
      } catch (e: unknown) {
        return isRpcError(e) ? e.codeName : String(e);
      }
    })();
    const slow = (i: number) => ({ model_name: 'slow_chain', id: `d${i}`, inputs: [{ name: 'x', datatype: 'FP32', shape: [16, 512] }], raw_input_contents: [f32(new Array(16 * 512).fill(0.5))] });
    for (let i = 0; i < 8; i++) await call.write(slow(i));
    await waitFor(() => answers.length >= 1, 20_000, 'a first answer');
    const t0 = Date.now();
    await f.service.drain();
    const drainMs = Date.now() - t0;
    t.is(await reading, 'UNAVAILABLE');
    t.true(drainMs < 20_000, `drain took ${drainMs} ms (grace 30 s)`);
    t.true(answers.length >= 1 && answers.length <= 8);
    t.true(answers.every((a) => a.error_message === '' && /^d\d$/.test(a.infer_response?.id ?? '')), JSON.stringify(answers.map((a) => a.error_message)));
  } finally {
    client.close();
    await f.stop();
  }
});
