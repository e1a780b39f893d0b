/**
 * A spec from a Fit request that makes the YAML parser warn (found by the fuzz suite: specs such
 * as `%s%n%x`) must not write a process warning per request to stderr, outside the logger.
 */
import test from 'ava';
import { parseSpec } from '../../services/preprocess/index.js';

test('preprocess spec - a YAML directive in the spec is refused without a process warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    for (const text of ['%s%n%x', '%1e!#& ', '%e4To\nsteps: []']) t.throws(() => parseSpec(text), { name: 'SpecError' }, text);
    // process.emitWarning emits on a later tick.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  t.deepEqual(warnings, []);
});
