/**
 * The KV lease (shared/nats Lease) against a private nats-server: one holder at a time; a
 * stopped holder hands over at once; a holder cut off from NATS stops believing it holds the
 * lease at its own deadline, before the standby (whose clock says the lease expired) takes it;
 * a holder whose entry was taken over steps down at its next renewal.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { createLogger } from '../../shared/logging/index.js';
import { Lease } from '../../shared/nats/index.js';
import type { LeaseOptions } from '../../shared/nats/index.js';
import { waitFor } from '../helpers/inference.js';
import { NatsServer } from '../helpers/nats-server.js';

let nats: NatsServer;
test.before(async () => {
  nats = await NatsServer.start({ jetstream: true });
});
test.after.always(async () => {
  await nats?.dispose();
});

const logger = createLogger({ service: 'lease-test', level: process.env['LOG_LEVEL'] ?? 'silent' });

/** A lease replica with its own connection and a record of its transitions (epoch ms). */
async function replica(t: { teardown(fn: () => Promise<void>): void }, key: string, owner: string, o: Partial<LeaseOptions> = {}) {
  const nc: NatsConnection = await connect({ servers: nats.url, reconnect: false });
  const events: Array<{ what: 'acquired' | 'lost'; at: number; why?: string }> = [];
  const lease = await Lease.open(nc, {
    bucket: 'test_leases',
    key,
    owner,
    ttlMs: 1500,
    logger,
    onAcquired: () => events.push({ what: 'acquired', at: Date.now() }),
    onLost: (why) => events.push({ what: 'lost', at: Date.now(), why }),
    ...o,
  });
  t.teardown(async () => {
    await lease.stop();
    if (!nc.isClosed()) await nc.close();
  });
  return { nc, lease, events };
}

test.serial('one holder at a time; a stopped holder hands over at its successor’s next attempt', async (t) => {
  const a = await replica(t, 'one', 'a');
  await waitFor(() => a.lease.held, 5000, 'a to take the free lease');
  const b = await replica(t, 'one', 'b');
  await sleep(2000); // more than the TTL: a renews, b never wins
  t.true(a.lease.held);
  t.false(b.lease.held);
  t.deepEqual(b.events, []);
  const stoppedAt = Date.now();
  await a.lease.stop();
  t.false(a.lease.held);
  await waitFor(() => b.lease.held, 5000, 'b to take the given-up lease');
  t.true(Date.now() - stoppedAt < 1500, 'before the TTL would have run out');
  t.deepEqual(a.events.map((e) => e.what), ['acquired', 'lost']);
});

test.serial('fencing: a holder cut off from NATS is no longer holding at its deadline, before the standby takes over', async (t) => {
  const a = await replica(t, 'two', 'a');
  await waitFor(() => a.lease.held, 5000, 'a to take the lease');
  const b = await replica(t, 'two', 'b');
  await sleep(600);
  // a's connection goes: its renewals fail, and it keeps the lease only until its deadline.
  await a.nc.close();
  const cutAt = Date.now();
  await waitFor(() => !a.lease.held, 5000, 'a to stop holding');
  const aLost = Date.now();
  await waitFor(() => b.lease.held, 10_000, 'b to take the expired lease');
  const bAcquired = b.events.find((e) => e.what === 'acquired')?.at ?? 0;
  t.log(`a stopped holding ${aLost - cutAt} ms after its NATS connection closed; b took over ${bAcquired - cutAt} ms after`);
  t.true(aLost <= bAcquired, 'the old holder stopped before the new one started');
  t.true(a.events.some((e) => e.what === 'lost' && /deadline/.test(e.why ?? '')));
});

test.serial('a holder whose entry was taken over (its clock behind) steps down at its next renewal', async (t) => {
  // b's clock runs 10 s ahead: to b, a's lease has expired, so b takes it by compare-and-set.
  const a = await replica(t, 'three', 'a', { ttlMs: 3000 });
  await waitFor(() => a.lease.held, 5000, 'a to take the lease');
  const b = await replica(t, 'three', 'b', { ttlMs: 3000, now: () => Date.now() + 10_000 });
  await waitFor(() => b.lease.held, 5000, 'b to take over');
  await waitFor(() => !a.lease.held, 5000, 'a to step down');
  t.true(a.events.some((e) => e.what === 'lost' && e.why === 'taken over by another replica'));
  await sleep(1500);
  t.false(a.lease.held, 'a does not take it back');
});

test('bad options are refused naming the option', async (t) => {
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  const base = { bucket: 'test_leases', key: 'x', owner: 'o', ttlMs: 1000, logger, onAcquired: () => undefined, onLost: () => undefined };
  await t.throwsAsync(Lease.open(nc, { ...base, ttlMs: 10 }), { message: /ttlMs/ });
  await t.throwsAsync(Lease.open(nc, { ...base, renewEveryMs: 950 }), { message: /renewEveryMs/ });
  await t.throwsAsync(Lease.open(nc, { ...base, owner: 'a b' }), { message: /owner/ });
});
