import test from 'ava';
import { CallCancel } from '../../shared/grpc/index.js';
import type { CancelSignal } from '../../shared/grpc/index.js';

test('a CallCancel calls each listener once, in the order added, and not one removed or added after the abort', (t) => {
  const c = new CallCancel();
  const calls: string[] = [];
  const a = (): void => void calls.push('a');
  const b = (): void => void calls.push('b');
  const gone = (): void => void calls.push('removed');
  c.addEventListener('abort', a);
  c.addEventListener('abort', gone);
  c.addEventListener('abort', b);
  c.removeEventListener('abort', gone);
  t.false(c.aborted);
  t.is(c.reason, undefined);
  const reason = new Error('first');
  c.abort(reason);
  c.abort(new Error('second'));
  c.addEventListener('abort', () => void calls.push('late'));
  t.deepEqual(calls, ['a', 'b']);
  t.true(c.aborted);
  t.is(c.reason, reason);
});

test('the AbortSignal of a CallCancel follows it, whether made before or after the abort', (t) => {
  const before = new CallCancel();
  const signal = before.signal;
  t.is(before.signal, signal, 'one signal per CallCancel');
  let heard: unknown;
  signal.addEventListener('abort', () => {
    heard = signal.reason;
  });
  t.false(signal.aborted);
  const reason = new Error('deadline');
  before.abort(reason);
  t.true(signal.aborted);
  t.is(heard, reason);

  const after = new CallCancel();
  after.abort(reason);
  t.true(after.signal.aborted);
  t.is(after.signal.reason, reason);
});

test('an AbortSignal is a CancelSignal: code written for ctx.cancel takes one', (t) => {
  const ac = new AbortController();
  const s: CancelSignal = ac.signal;
  let n = 0;
  s.addEventListener('abort', () => n++, { once: true });
  ac.abort(new Error('x'));
  t.is(n, 1);
  t.true(s.aborted);
});
