/**
 * A short chaos run (`npm run chaos`, bench/chaos): the whole mesh under the real supervisor,
 * load through the gateway, one SIGKILL of inference. Checks the tool's own accounting (every
 * request counted once, nothing negative, a clean steady period) and that the mesh recovered
 * (the supervisor restarted inference, the last requests were answered). The accounting's
 * detection of lost and double-counted logs and rows is tested on made-up streams in
 * chaos-accounting.test.ts.
 */
import test from 'ava';
import { runChaos } from '../../bench/chaos/run.js';

test('chaos smoke - SIGKILL of inference under load: accounted and recovered', async (t) => {
  t.timeout(240_000);
  const result = await runChaos({ quick: true, faults: 'kill-inference', rate: 10, settleMs: 6000, log: (l) => t.log(l) });
  const { periods, totals } = result.account;
  t.log(JSON.stringify(periods.map((p) => ({ fault: p.fault, sent: p.sent, ok: p.ok, hidden: p.hiddenByRetry, failed: p.failed, errors: p.errors, missing: p.logsMissing, twice: p.logsTwice, lost: p.windowRowsLost, double: p.windowRowsDouble, recovered: p.recoveredMs, restored: p.restoredMs }))));
  t.deepEqual(periods.map((p) => p.fault), ['steady', 'kill-inference']);
  for (const p of periods) {
    t.true(p.sent > 0, `${p.fault}: requests were sent`);
    t.is(p.ok + p.hiddenByRetry + p.failed, p.sent, `${p.fault}: ok + hidden + failed = sent`);
    t.is(Object.values(p.errors).reduce((a, b) => a + b, 0), p.failed, `${p.fault}: failures by status add up`);
    for (const k of ['ok', 'hiddenByRetry', 'failed', 'logsMissing', 'logsTwice', 'logsTwiceSameEvent', 'loggedButFailed', 'windowRowsLost', 'windowRowsDouble', 'windowRowsOpen', 'windows', 'dropped'] as const) {
      t.true(p[k] >= 0, `${p.fault}: ${k} = ${p[k]}`);
    }
  }
  t.is(totals.pending, 0, 'every request settled');
  t.is(totals.sent, periods.reduce((n, p) => n + p.sent, 0), 'every request is in one period');
  t.is(totals.unknownLogs, 0, 'every credit log in the stream is one of the run’s requests');
  t.true(totals.monitorCaughtUp, 'the monitor applied the whole stream');
  t.true(totals.windows > 0, 'the monitor closed windows');
  t.deepEqual(totals.windowIndexGaps, [], 'no window index skipped');
  const steady = periods[0];
  t.is(steady?.failed, 0, 'no failure without a fault');
  t.is(steady?.logsMissing, 0, 'no log missing without a fault');
  t.is(steady?.logsTwice, 0, 'no log twice without a fault');
  t.is(steady?.windowRowsLost, 0, 'no window row lost without a fault');
  t.is(steady?.windowRowsDouble, 0, 'no window row double without a fault');
  const kill = periods[1];
  t.true((kill?.restoredMs ?? -1) > 0, 'the supervisor restarted inference');
  t.not(kill?.recoveredMs, undefined, 'a clean answer came after the last failure');
  t.deepEqual(result.notReady, [], 'every service ready at the end');
  t.deepEqual(result.lastOutcomes, Array(10).fill('ok'), 'the last requests were answered');
});
