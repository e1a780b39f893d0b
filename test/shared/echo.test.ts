/**
 * Client input echoed into errors and logs is clipped (shared/errors `clip`), and every
 * service's status message is capped at the edge (`toGrpcStatus`), so a huge name never turns
 * into a client-side "metadata size exceeds limit" failure.
 */
import test from 'ava';
import { ECHO_MAX_CHARS, InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import { MAX_STATUS_DETAILS_BYTES, toGrpcStatus } from '../../shared/grpc/index.js';
import { startPreprocess } from '../helpers/preprocess.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

test('clip - short input is unchanged; long input keeps its first 200 characters and says how long it was', (t) => {
  t.is(clip('digits_mlp'), 'digits_mlp');
  t.is(clip('x'.repeat(ECHO_MAX_CHARS)), 'x'.repeat(ECHO_MAX_CHARS));
  t.is(clip('y'.repeat(20_000)), `${'y'.repeat(200)}… (20000 characters)`);
  t.is(clip(12345678, 3), '123… (8 characters)');
});

test('clip - never splits a surrogate pair (the result stays encodable for grpc-message)', (t) => {
  const s = `${'a'.repeat(199)}😀${'b'.repeat(100)}`;
  const c = clip(s);
  t.notThrows(() => encodeURIComponent(c));
  t.true(c.startsWith('a'.repeat(199) + '…'), c.slice(195, 210));
});

test('status - every status message is capped in UTF-8 bytes, whatever the service put in it', (t) => {
  for (const ch of ['z', 'é', '語', '😀']) {
    const st = toGrpcStatus(new NotFoundError(`thing '${ch.repeat(50_000)}' not found`));
    t.is(st.code, grpc.status.NOT_FOUND);
    t.true(Buffer.byteLength(st.details) <= MAX_STATUS_DETAILS_BYTES, `${ch}: ${Buffer.byteLength(st.details)} bytes`);
    t.notThrows(() => encodeURIComponent(st.details));
    t.regex(st.details, /characters\)$/);
  }
  t.is(toGrpcStatus(new InvalidArgumentError('short')).details, 'short');
  t.true(Buffer.byteLength(toGrpcStatus(new Error('e'.repeat(100_000))).details) <= MAX_STATUS_DETAILS_BYTES, 'INTERNAL too');
});

test('echo - preprocess: a 20,000-character pipeline name is INVALID_ARGUMENT with a short message', async (t) => {
  const f = await startPreprocess();
  try {
    const err = await assertStatus(t, f.client.getPipeline({ name: 'p'.repeat(20_000) }), grpc.status.INVALID_ARGUMENT, /pipeline\.name: "ppp.*… \(20002 characters\) must match/);
    t.true(err.details.length < 400, `${err.details.length} characters`);
    const err2 = await assertStatus(t, f.client.getPipeline({ sha256: 's'.repeat(20_000) }), grpc.status.INVALID_ARGUMENT, /pipeline\.sha256/);
    t.true(err2.details.length < 400, `${err2.details.length} characters`);
  } finally {
    await f.stop();
  }
});
