/** `mlmesh rollout …` against a real rollout service (test/helpers/rollout.ts): start with flags, status, watch (not a terminal: one line per change), abort. */
import test from 'ava';
import { MODEL, startRolloutMesh } from '../helpers/rollout.js';
import { runNode } from '../helpers/process.js';

test.serial('rollout cli - start with flags, status --json, watch line by line until the abort ends it', async (t) => {
  t.timeout(120_000);
  const m = await startRolloutMesh({ candidate: 'good' });
  try {
    const address = ['--address', m.client.address];
    const none = runNode('tools/cli/main.js', ['rollout', 'status', ...address, '--json']);
    t.is(await none.exited, 0, none.stderr.join('\n'));
    t.deepEqual(none.stdout, []);
    const bad = runNode('tools/cli/main.js', ['rollout', 'start', MODEL, '2', ...address, '--steps', '10,5,100']);
    t.is(await bad.exited, 1);
    t.regex(bad.stderr.join('\n'), /INVALID_ARGUMENT.*plan\.steps\[1\]: steps must ascend/);
    const start = runNode('tools/cli/main.js', ['rollout', 'start', MODEL, '2', ...address, '--steps', '5,100', '--hold-requests', '1000000', '--hold-seconds', '1', '--criterion', 'accuracy.enabled=off', '--no-unload', '--json']);
    t.is(await start.exited, 0, start.stderr.join('\n'));
    const r = JSON.parse(start.stdout.join('\n')) as { model: string; candidate: string; baseline: string; plan: { steps: number[]; hold_requests: string; unload: string; criteria: { accuracy: { enabled: string } } } };
    t.like(r, { model: MODEL, candidate: '2', baseline: '1' });
    t.deepEqual(r.plan.steps, [5, 100]);
    t.is(r.plan.hold_requests, '1000000');
    t.is(r.plan.unload, 'off');
    t.is(r.plan.criteria.accuracy.enabled, 'off');
    const again = runNode('tools/cli/main.js', ['rollout', 'start', MODEL, '2', ...address]);
    t.is(await again.exited, 1);
    t.regex(again.stderr.join('\n'), /ALREADY_EXISTS/);
    const status = runNode('tools/cli/main.js', ['rollout', 'status', MODEL, ...address]);
    t.is(await status.exited, 0);
    t.regex(status.stdout.join('\n'), new RegExp(`^${MODEL} r-\\w+ running`, 'm'));
    t.regex(status.stdout.join('\n'), /error_rate\s+waiting/);
    const watch = runNode('tools/cli/main.js', ['rollout', 'watch', MODEL, ...address]);
    await watch.waitForLog(() => false, 500).catch(() => undefined);
    const abort = runNode('tools/cli/main.js', ['rollout', 'abort', MODEL, ...address, '--reason', 'test: enough']);
    t.is(await abort.exited, 0, abort.stderr.join('\n'));
    t.is(await watch.exited, 1, 'watch ends with the rollout, 1 as it did not complete');
    const lines = watch.stdout.filter((l) => l.includes(` ${MODEL} r-`));
    t.true(lines.length >= 2, watch.stdout.join('\n'));
    t.regex(lines.at(-1) ?? '', /aborted .*reason="test: enough"/);
  } finally {
    await m.stop();
  }
});
