/**
 * ModelStreamInfer needs the data-plane role, as ModelInfer does; ModelConfig and
 * ModelStatistics need `read`. Checked once when the stream opens, with real bearer tokens.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { InferenceClient, isRpcError } from '../../shared/client/index.js';
import type { ModelStreamInferResponse } from '../../shared/client/index.js';
import { hashToken } from '../../shared/auth/index.js';
import { startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

const READ_TOKEN = 'read-token-5d2e71';
const DATA_TOKEN = 'data-token-8c3a90';
const test = anyTest as TestFn<InferenceFixture>;

test.before(async (t) => {
  t.context = await startInference({
    models: ['digits_mlp'],
    overrides: { authRequired: true, authTokens: [`viewer:read:${hashToken(READ_TOKEN)}`, `backend:data:${hashToken(DATA_TOKEN)}`] },
  });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const request = (id: string) => ({ model_name: 'digits_mlp', id, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(256)] });

/** Opens a stream with `token`, sends two requests, and returns the answers or the status it ended with. */
async function stream(f: InferenceFixture, token: string | undefined): Promise<{ answers: ModelStreamInferResponse[]; code: string | undefined }> {
  using c = new InferenceClient(f.service.address, { retry: false, ...(token ? { token } : {}) });
  const call = c.modelStreamInfer({ timeoutMs: 10_000 });
  const answers: ModelStreamInferResponse[] = [];
  try {
    // Writes may fail once the server has refused the stream: the loop reports the status.
    await Promise.allSettled([call.write(request('a')), call.write(request('b'))]);
    call.end();
    for await (const a of call) answers.push(a);
    return { answers, code: undefined };
  } catch (e: unknown) {
    if (!isRpcError(e)) throw e;
    return { answers, code: e.codeName };
  }
}

test('stream authz - no credentials is UNAUTHENTICATED, a read-only token PERMISSION_DENIED, a data-plane token is served', async (t) => {
  t.like(await stream(t.context, undefined), { code: 'UNAUTHENTICATED', answers: [] });
  t.like(await stream(t.context, READ_TOKEN), { code: 'PERMISSION_DENIED', answers: [] });
  const ok = await stream(t.context, DATA_TOKEN);
  t.is(ok.code, undefined);
  t.deepEqual(ok.answers.map((a) => [a.error_message, a.infer_response?.id]).sort(), [
    ['', 'a'],
    ['', 'b'],
  ]);
});

test('stream authz - ModelConfig and ModelStatistics are reads', async (t) => {
  using c = new InferenceClient(t.context.service.address, { retry: false, token: READ_TOKEN });
  t.is((await c.modelConfig({ name: 'digits_mlp' })).config?.name, 'digits_mlp');
  t.deepEqual((await c.modelStatistics()).model_stats.map((s) => s.name), ['digits_mlp']);
});
