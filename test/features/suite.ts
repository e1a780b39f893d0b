/**
 * The behaviour every storage backend must show, as one suite: `featureSuite('sqlite')` and
 * `featureSuite('redis')` run it from two test files. Each test starts its own service on its
 * own store location (temp SQLite file or Redis key prefix) and deletes it afterwards.
 */
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { loadDefinitionFile } from '../../services/features/index.js';
import type { FeatureDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import type { GetOnlineFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetOnlineFeaturesResponse.js';
import type { GetHistoricalFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import { assertStatus, grpc } from '../helpers/grpc.js';
import { DAYS_30, TestClock, freshLocation, startFeatures, transactions, windowMean } from '../helpers/features.js';
import type { Backend, FeaturesFixture, StoreLocation } from '../helpers/features.js';
import type { FeaturesConfig } from '../../services/features/index.js';
import { resolveFeaturesConfig } from '../../services/features/index.js';

/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;

/** A push feature definition. */
export function pushDef(name: string, value_type: FeatureDefinition['value_type'] = 'FLOAT', max_age_ms = 0, version = 1): FeatureDefinition {
  return { name, version, entity: 'user', value_type, max_age_ms, source: { push: {} } };
}

/** Runs `body` with a fresh store location and a service on it, cleaning both up. */
export async function withService(
  backend: Backend,
  body: (f: FeaturesFixture, loc: StoreLocation) => Promise<void>,
  opts: { overrides?: Partial<FeaturesConfig>; now?: () => number } = {},
): Promise<void> {
  const loc = await freshLocation(backend);
  const f = await startFeatures(loc, opts);
  try {
    await body(f, loc);
  } finally {
    await f.stop();
    await loc.cleanup();
  }
}

/** Column `fi` of a response as [value or null, status, event time] per entity. */
export function column(res: GetOnlineFeaturesResponse__Output, fi: number): [unknown, string, number][] {
  const c = res.columns[fi];
  if (!c) throw new Error(`no column ${fi}`);
  return c.values.map((v, i) => {
    const kind = v.kind;
    const value = kind === undefined ? null : kind === 'float_vector_value' ? v.float_vector_value?.values : v[kind];
    return [value, c.statuses[i] as string, Number(c.event_times_ms[i])];
  });
}

async function historicalMessages(f: FeaturesFixture, req: Parameters<FeaturesFixture['client']['historical']>[0]): Promise<GetHistoricalFeaturesResponse__Output[]> {
  const out: GetHistoricalFeaturesResponse__Output[] = [];
  for await (const m of f.client.historical(req, { deadlineMs: 10_000 })) out.push(m);
  return out;
}

function close(t: ExecutionContext, actual: unknown, expected: number | null, what: string): void {
  if (expected === null) {
    t.is(actual, null, what);
    return;
  }
  t.true(typeof actual === 'number' && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: got ${String(actual)}, expected ${expected}`);
}

/** Registers the whole suite for one backend. */
export function featureSuite(backend: Backend): void {
  const name = (s: string): string => `${backend}: ${s}`;

  test(name('registry - same content is idempotent, other content is ALREADY_EXISTS, old versions stay'), async (t) => {
    await withService(backend, async (f) => {
      const v1 = pushDef('balance', 'FLOAT');
      const first = await f.client.register(v1);
      t.true(first.created);
      t.regex(first.content_hash, /^[0-9a-f]{64}$/);
      const again = await f.client.register({ ...v1, description: '' });
      t.false(again.created);
      t.is(again.content_hash, first.content_hash);
      await assertStatus(t, f.client.register({ ...v1, description: 'changed' }), grpc.status.ALREADY_EXISTS, /balance@1 is already registered.*version 2/);
      await f.client.register({ ...v1, version: 2, description: 'changed' });
      const got = await f.client.getFeature('balance@1');
      t.is(got.definition?.description, '');
      t.is(got.content_hash, first.content_hash);
      const list = await f.client.listFeatures('balance');
      t.deepEqual(list.features.map((x) => `${x.definition?.name}@${x.definition?.version}`), ['balance@1', 'balance@2']);
      await assertStatus(t, f.client.getFeature('balance@3'), grpc.status.NOT_FOUND, /balance@3 is not registered \(versions of balance: 1, 2\)/);
      await assertStatus(t, f.client.register({ ...v1, name: 'Bad-Name' }), grpc.status.INVALID_ARGUMENT, /definition\.name/);
      await assertStatus(t, f.client.register({ ...v1, source: {} }), grpc.status.INVALID_ARGUMENT, /definition\.source: set one of push, file, sql/);
    });
  });

  test(name('point-in-time - as_of between t1 < t2 < t3 returns the value current then; OUTSIDE_MAX_AGE past the max age'), async (t) => {
    const clock = new TestClock(T0 + 10 * HOUR);
    await withService(
      backend,
      async (f) => {
        await f.client.register(pushDef('score', 'FLOAT', 2 * HOUR));
        const t1 = T0 + HOUR;
        const t2 = T0 + 2 * HOUR;
        const t3 = T0 + 3 * HOUR;
        // Written out of order, in two requests: event time decides, not arrival.
        await f.client.write([{ feature: 'score@1', entity_id: 'u1', event_time_ms: t3, value: { float_value: 3 } }]);
        await f.client.write([
          { feature: 'score@1', entity_id: 'u1', event_time_ms: t1, value: { float_value: 1 } },
          { feature: 'score@1', entity_id: 'u1', event_time_ms: t2, value: { float_value: 2 } },
        ]);
        const at = async (asOf: number) => column(await f.client.online({ features: { refs: ['score@1'] }, entity_ids: ['u1'], as_of_ms: asOf }), 0)[0];
        t.deepEqual(await at(t1 - 1), [null, 'NOT_FOUND', 0]);
        t.deepEqual(await at(t1), [1, 'PRESENT', t1]);
        t.deepEqual(await at(t2 - 1), [1, 'PRESENT', t1]);
        t.deepEqual(await at(t2 + 1), [2, 'PRESENT', t2]);
        t.deepEqual(await at(t3), [3, 'PRESENT', t3]);
        // Max age 2 h: at t3 + 2 h the value is just young enough, 1 ms later it is not.
        t.deepEqual(await at(t3 + 2 * HOUR), [3, 'PRESENT', t3]);
        t.deepEqual(await at(t3 + 2 * HOUR + 1), [null, 'OUTSIDE_MAX_AGE', t3]);
        // Latest read: the clock (t0 + 10 h) is 7 h after t3.
        t.deepEqual(column(await f.client.online({ features: { refs: ['score@1'] }, entity_ids: ['u1'] }), 0)[0], [null, 'OUTSIDE_MAX_AGE', t3]);
        clock.ms = t3 + HOUR;
        t.deepEqual(column(await f.client.online({ features: { refs: ['score@1'] }, entity_ids: ['u1'] }), 0)[0], [3, 'PRESENT', t3]);
      },
      { now: clock.now },
    );
  });

  test(name('historical - each row gets the latest value at or before its time, never a later one, in chunks'), async (t) => {
    await withService(backend, async (f) => {
      await f.client.register(pushDef('clicks', 'INT64'));
      await f.client.register(pushDef('plan', 'STRING'));
      const writes = [];
      for (let h = 1; h <= 5; h++) {
        writes.push({ feature: 'clicks@1', entity_id: 'a', event_time_ms: T0 + h * HOUR, value: { int64_value: h * 10 } });
        writes.push({ feature: 'clicks@1', entity_id: 'b', event_time_ms: T0 + h * HOUR + 30 * 60_000, value: { int64_value: h * 100 } });
      }
      writes.push({ feature: 'plan@1', entity_id: 'a', event_time_ms: T0 + 2 * HOUR, value: { string_value: 'pro' } });
      await f.client.write(writes);
      const rows = [
        { entity_id: 'a', time_ms: T0 + HOUR - 1 },
        { entity_id: 'a', time_ms: T0 + 2 * HOUR },
        { entity_id: 'b', time_ms: T0 + 2 * HOUR },
        { entity_id: 'a', time_ms: T0 + 4 * HOUR + 59 * 60_000 },
        { entity_id: 'b', time_ms: T0 + 9 * HOUR },
      ];
      const msgs = await historicalMessages(f, { features: { refs: ['clicks@1', 'plan@1'] }, rows, chunk_rows: 2 });
      t.is(msgs.length, 3);
      t.deepEqual(msgs[0]?.features, ['clicks@1', 'plan@1']);
      t.deepEqual(msgs[1]?.features, []);
      const out = msgs.flatMap((m) => m.rows);
      t.deepEqual(out.map((r) => r.row_index), [0, 1, 2, 3, 4]);
      const simple = out.map((r) => r.values.map((v) => [v.status, v.value?.kind ? v.value[v.value.kind] : null]));
      t.deepEqual(simple, [
        [['NOT_FOUND', null], ['NOT_FOUND', null]],
        [['PRESENT', '20'], ['PRESENT', 'pro']],
        [['PRESENT', '100'], ['NOT_FOUND', null]],
        [['PRESENT', '40'], ['PRESENT', 'pro']],
        [['PRESENT', '500'], ['NOT_FOUND', null]],
      ]);
      // No leakage, checked generally: every value's event time is at or before its row's time.
      for (const r of out) for (const v of r.values) t.true(Number(v.event_time_ms) <= Number(r.time_ms));
      await assertStatus(t, historicalMessages(f, { features: { refs: ['clicks@1'] }, rows: [{ entity_id: '', time_ms: T0 }] }), grpc.status.INVALID_ARGUMENT, /rows\[0\]\.entity_id: must be a non-empty string/);
      await assertStatus(t, historicalMessages(f, { features: { refs: ['clicks@9'] }, rows }), grpc.status.NOT_FOUND, /clicks@9/);
    });
  });

  test(name('materialize - avg balance over 30 days per user equals the mean computed here from the CSV'), async (t) => {
    await withService(backend, async (f) => {
      const file = await loadDefinitionFile(join(projectRoot(), 'test/fixtures/features/avg_balance_30d.yaml'));
      await f.client.register(file.features[0] as FeatureDefinition);
      const start = T0;
      const end = Date.UTC(2026, 5, 1);
      const res = await f.client.materialize('avg_balance_30d@1', start, end);
      const tx = transactions();
      t.is(Number(res.rows_read), tx.length);
      t.is(res.entities, 9);
      const users = [...new Set(tx.map((r) => r.user))].sort();
      const lastTx = Math.max(...tx.map((r) => r.ts));
      for (const asOf of [Date.UTC(2026, 1, 14, 12), Date.UTC(2026, 2, 1), lastTx, Date.UTC(2026, 3, 20)]) {
        const got = column(await f.client.online({ features: { refs: ['avg_balance_30d@1'] }, entity_ids: users, as_of_ms: asOf }), 0);
        users.forEach((u, i) => {
          const expected = windowMean(tx, u, asOf, DAYS_30);
          const [value, status] = got[i] ?? [];
          if (expected === null) t.true(status === 'NULL_VALUE' || status === 'NOT_FOUND', `${u} at ${new Date(asOf).toISOString()}: ${status}`);
          else t.is(status, 'PRESENT');
          close(t, value, expected, `${u} at ${new Date(asOf).toISOString()}`);
        });
      }
      // u9's only transaction left its window long ago: its latest value is null.
      const latest = column(await f.client.online({ features: { refs: ['avg_balance_30d@1'] }, entity_ids: ['u9'] }), 0)[0];
      t.is(latest?.[1], 'NULL_VALUE');
    });
  });

  test(name('versions - v1 and v2 of a feature with different transforms are served side by side, also through a feature service'), async (t) => {
    await withService(backend, async (f) => {
      const file = await loadDefinitionFile(join(projectRoot(), 'test/fixtures/features/avg_balance_30d.yaml'));
      for (const d of file.features) await f.client.register(d as FeatureDefinition);
      await f.client.registerService(file.services[0] as { name: string; features: string[] });
      await f.client.materialize('avg_balance_30d@1', T0, Date.UTC(2026, 5, 1));
      await f.client.materialize('avg_balance_30d@2', T0, Date.UTC(2026, 5, 1));
      const tx = transactions();
      const asOf = Date.UTC(2026, 2, 10);
      const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'];
      const res = await f.client.online({ feature_service: 'credit_model_v3', entity_ids: users, as_of_ms: asOf });
      t.deepEqual(res.features, ['avg_balance_30d@2', 'avg_balance_30d@1']);
      let differ = 0;
      users.forEach((u, i) => {
        const v2 = column(res, 0)[i]?.[0];
        const v1 = column(res, 1)[i]?.[0];
        close(t, v1, windowMean(tx, u, asOf, DAYS_30), `${u} v1`);
        close(t, v2, windowMean(tx, u, asOf, DAYS_30, (b) => Math.max(0, b)), `${u} v2`);
        if (v1 !== v2) differ++;
      });
      t.true(differ > 0, 'the fixture has overdrafts, so v2 differs from v1 for some users');
      await assertStatus(t, f.client.online({ feature_service: 'no_such_model', entity_ids: ['u1'] }), grpc.status.NOT_FOUND, /feature service "no_such_model"/);
      await assertStatus(t, f.client.registerService({ name: 'other', features: ['avg_balance_30d@7'] }), grpc.status.NOT_FOUND, /avg_balance_30d@7/);
    });
  });

  test(name('bad input - unknown features, malformed refs and ids, and requests over the limit name the culprit'), async (t) => {
    await withService(
      backend,
      async (f) => {
        await f.client.register(pushDef('x'));
        await f.client.register(pushDef('y'));
        const read = (refs: string[], ids: string[]) => f.client.online({ features: { refs }, entity_ids: ids });
        await assertStatus(t, read(['nope@1'], ['u1']), grpc.status.NOT_FOUND, /feature nope@1 is not registered/);
        await assertStatus(t, read(['x@2'], ['u1']), grpc.status.NOT_FOUND, /feature x@2 is not registered \(versions of x: 1\)/);
        await assertStatus(t, read(['x'], ['u1']), grpc.status.INVALID_ARGUMENT, /features\.refs\[0\]: "x" is not a feature ref name@version/);
        await assertStatus(t, read(['x@1', 'x@0'], ['u1']), grpc.status.INVALID_ARGUMENT, /features\.refs\[1\]/);
        await assertStatus(t, read(['x@1', 'x@1'], ['u1']), grpc.status.INVALID_ARGUMENT, /features\.refs\[1\]: x@1 is listed twice/);
        await assertStatus(t, read([], ['u1']), grpc.status.INVALID_ARGUMENT, /features\.refs: set at least one/);
        await assertStatus(t, read(['x@1'], ['u1', '']), grpc.status.INVALID_ARGUMENT, /entity_ids\[1\]: must be a non-empty string/);
        await assertStatus(t, read(['x@1'], ['u1', 'a\nb']), grpc.status.INVALID_ARGUMENT, /entity_ids\[1\]: must not contain control characters/);
        await assertStatus(t, read(['x@1'], []), grpc.status.INVALID_ARGUMENT, /entity_ids: give at least one/);
        const ids = Array.from({ length: 6 }, (_, i) => `u${i}`);
        await assertStatus(t, read(['x@1', 'y@1'], ids), grpc.status.INVALID_ARGUMENT, /6 × 2 = 12 values, over the limit of 10 per request/);
        await assertStatus(t, f.client.online({ features: { refs: ['x@1'] }, entity_ids: ['u1'], as_of_ms: -5 }), grpc.status.INVALID_ARGUMENT, /as_of_ms: must be >= 0/);
        t.is((await read(['x@1', 'y@1'], ids.slice(0, 5))).columns.length, 2);
        await f.client.register({ ...pushDef('merchant_risk'), entity: 'merchant' });
        await assertStatus(t, read(['x@1', 'merchant_risk@1'], ['u1']), grpc.status.INVALID_ARGUMENT, /features\.refs\[1\]: merchant_risk@1 is keyed by entity merchant, x@1 by user/);
        await assertStatus(t, f.client.registerService({ name: 'mixed', features: ['x@1', 'merchant_risk@1'] }), grpc.status.INVALID_ARGUMENT, /service\.features\[1\]: merchant_risk@1 is keyed by entity merchant/);
      },
      { overrides: { maxOnlineValues: 10 } },
    );
  });

  test(name('writes - a value of the wrong type fails the whole request and nothing of it is written'), async (t) => {
    await withService(backend, async (f) => {
      await f.client.register(pushDef('amount', 'FLOAT'));
      await f.client.register(pushDef('country', 'STRING'));
      const good = { feature: 'amount@1', entity_id: 'u1', event_time_ms: T0, value: { float_value: 5 } };
      await assertStatus(
        t,
        f.client.write([good, { feature: 'country@1', entity_id: 'u1', event_time_ms: T0, value: { string_value: 'NL' } }, { feature: 'amount@1', entity_id: 'u2', event_time_ms: T0, value: { string_value: '5' } }]),
        grpc.status.INVALID_ARGUMENT,
        /writes\[2\]\.value: feature amount@1 holds FLOAT, got string_value/,
      );
      const after = await f.client.online({ features: { refs: ['amount@1', 'country@1'] }, entity_ids: ['u1', 'u2'] });
      t.deepEqual(after.columns.flatMap((c) => c.statuses), ['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
      await assertStatus(t, f.client.write([good, { ...good, feature: 'ghost@1' }]), grpc.status.NOT_FOUND, /ghost@1/);
      await assertStatus(t, f.client.write([{ ...good, entity_id: '' }]), grpc.status.INVALID_ARGUMENT, /writes\[0\]\.entity_id/);
      await assertStatus(t, f.client.write([{ ...good, event_time_ms: 0 }]), grpc.status.INVALID_ARGUMENT, /writes\[0\]\.event_time_ms: must be a positive/);
      await assertStatus(t, f.client.write([{ ...good, value: { float_value: 'NaN' } }]), grpc.status.INVALID_ARGUMENT, /writes\[0\]\.value: must be a finite number/);
      await assertStatus(t, f.client.write([]), grpc.status.INVALID_ARGUMENT, /writes: give at least one/);
      const file = await loadDefinitionFile(join(projectRoot(), 'test/fixtures/features/avg_balance_30d.yaml'));
      await f.client.register(file.features[0] as FeatureDefinition);
      await assertStatus(t, f.client.write([{ ...good, feature: 'avg_balance_30d@1' }]), grpc.status.FAILED_PRECONDITION, /avg_balance_30d@1 is computed from its file source/);
      await assertStatus(t, f.client.materialize('amount@1', T0, T0 + 1), grpc.status.FAILED_PRECONDITION, /push source/);
      await assertStatus(t, f.client.materialize('avg_balance_30d@1', T0, T0), grpc.status.INVALID_ARGUMENT, /end_ms: must be after start_ms/);
      t.is(await f.client.write([good]).then((r) => r.written), 1);
    });
  });

  test(name('values - every value type round-trips, null is NULL_VALUE, a later write at the same time replaces'), async (t) => {
    await withService(backend, async (f) => {
      const types = ['FLOAT', 'INT64', 'STRING', 'BOOL', 'FLOAT_VECTOR'] as const;
      for (const ty of types) await f.client.register(pushDef(`v_${ty.toLowerCase()}`, ty));
      const refs = types.map((ty) => `v_${ty.toLowerCase()}@1`);
      const values = [{ float_value: -1.25 }, { int64_value: '9007199254740993' }, { string_value: 'héllo, "x"' }, { bool_value: false }, { float_vector_value: { values: [0.5, -2, 3.25] } }];
      await f.client.write(refs.map((feature, i) => ({ feature, entity_id: 'e', event_time_ms: T0, value: values[i] })));
      await f.client.write(refs.map((feature) => ({ feature, entity_id: 'n', event_time_ms: T0 })));
      const res = await f.client.online({ features: { refs }, entity_ids: ['e', 'n'] });
      t.deepEqual(types.map((_, i) => column(res, i)[0]?.[0]), [-1.25, '9007199254740993', 'héllo, "x"', false, [0.5, -2, 3.25]]);
      t.deepEqual(types.map((_, i) => column(res, i)[1]), types.map(() => [null, 'NULL_VALUE', T0]));
      await f.client.write([{ feature: refs[0], entity_id: 'e', event_time_ms: T0, value: { float_value: 7 } }]);
      t.deepEqual(column(await f.client.online({ features: { refs: [refs[0] as string] }, entity_ids: ['e'], as_of_ms: T0 }), 0)[0], [7, 'PRESENT', T0]);
    });
  });

  test(name('reads - a request over a thousand keys answers every key in order (the Redis store reads in batches)'), async (t) => {
    await withService(backend, async (f) => {
      await f.client.register(pushDef('n', 'INT64'));
      const ids = Array.from({ length: 1500 }, (_, i) => `e${i}`);
      await f.client.write(ids.filter((_, i) => i % 3 !== 0).map((entity_id, i) => ({ feature: 'n@1', entity_id, event_time_ms: T0 + i, value: { int64_value: entity_id.slice(1) } })));
      for (const asOf of [0, T0 + 2000]) {
        const got = column(await f.client.online({ features: { refs: ['n@1'] }, entity_ids: ids, as_of_ms: asOf }), 0);
        t.is(got.length, ids.length);
        ids.forEach((id, i) => {
          const writtenAt = i % 3 === 0 ? undefined : T0 + (i - Math.floor(i / 3) - 1);
          const visible = writtenAt !== undefined && (asOf === 0 || writtenAt <= asOf);
          t.deepEqual(got[i]?.slice(0, 2), visible ? [id.slice(1), 'PRESENT'] : [null, 'NOT_FOUND'], `${id} as of ${asOf}`);
        });
      }
    });
  });

  test(name('cache - a write through this replica is seen at once; through another replica within the TTL'), async (t) => {
    const clock = new TestClock(T0 + HOUR);
    const loc = await freshLocation(backend);
    const a = await startFeatures(loc, { now: clock.now, overrides: { cacheTtlMs: 5000 } });
    const b = await startFeatures(loc, { now: clock.now, overrides: { cacheTtlMs: 5000 } });
    try {
      await a.client.register(pushDef('bal'));
      const read = async (f: FeaturesFixture) => column(await f.client.online({ features: { refs: ['bal@1'] }, entity_ids: ['u1'] }), 0)[0]?.[0];
      await a.client.write([{ feature: 'bal@1', entity_id: 'u1', event_time_ms: T0, value: { float_value: 1 } }]);
      t.is(await read(a), 1);
      t.is(await read(b), 1);
      await a.client.write([{ feature: 'bal@1', entity_id: 'u1', event_time_ms: T0 + 1, value: { float_value: 2 } }]);
      t.is(await read(a), 2, 'the writing replica invalidated its cache');
      t.is(await read(b), 1, 'the other replica serves its cached value until the TTL passes');
      t.is(column(await b.client.online({ features: { refs: ['bal@1'] }, entity_ids: ['u1'], as_of_ms: T0 + 1 }), 0)[0]?.[0], 2, 'as_of reads bypass the cache');
      clock.advance(5000);
      t.is(await read(b), 2, 'after the TTL the other replica reads the store again');
    } finally {
      await a.stop();
      await b.stop();
      await loc.cleanup();
    }
  });

  test(name('retention - history older than the retention is pruned on write, keeping the value current at the cutoff'), async (t) => {
    const clock = new TestClock(T0 + 100 * HOUR);
    await withService(
      backend,
      async (f) => {
        await f.client.register(pushDef('temp'));
        const w = (h: number, v: number) => ({ feature: 'temp@1', entity_id: 'x', event_time_ms: T0 + h * HOUR, value: { float_value: v } });
        // Cutoff = now - 10 h = T0 + 90 h.
        await f.client.write([w(10, 1), w(50, 2), w(80, 3), w(95, 4)]);
        const at = async (h: number) => column(await f.client.online({ features: { refs: ['temp@1'] }, entity_ids: ['x'], as_of_ms: T0 + h * HOUR }), 0)[0]?.slice(0, 2);
        t.deepEqual(await at(60), [null, 'NOT_FOUND'], 'values before the one current at the cutoff are gone');
        t.deepEqual(await at(85), [3, 'PRESENT'], 'the value current at the cutoff stays');
        t.deepEqual(await at(90), [3, 'PRESENT']);
        t.deepEqual(await at(99), [4, 'PRESENT']);
      },
      { now: clock.now, overrides: { retentionMs: 10 * HOUR } },
    );
  });

  test(name('retention - by default nothing is deleted: a backfilled older month serves every point-in-time row'), async (t) => {
    // The review's case: "now" is months after the backfilled month; with the old 90-day
    // default, 45 of 48 rows came back wrong.
    const clock = new TestClock(Date.UTC(2026, 11, 1));
    await withService(
      backend,
      async (f) => {
        await f.client.register(pushDef('spend'));
        const writes: { feature: string; entity_id: string; event_time_ms: number; value: { float_value: number } }[] = [];
        for (let d = 0; d < 24; d++) for (const u of ['a', 'b']) writes.push({ feature: 'spend@1', entity_id: u, event_time_ms: Date.UTC(2026, 1, 1 + d, 12), value: { float_value: d + (u === 'a' ? 0 : 0.5) } });
        const res = await f.client.write(writes);
        const rows = writes.map((w) => ({ entity_id: w.entity_id, time_ms: w.event_time_ms + 3600_000 }));
        const got = (await historicalMessages(f, { features: { refs: ['spend@1'] }, rows })).flatMap((m) => m.rows);
        const wrong = got.filter((r, i) => r.values[0]?.status !== 'PRESENT' || r.values[0]?.value?.float_value !== writes[i]?.value.float_value);
        t.is(got.length, 48);
        t.is(wrong.length, 0, `${wrong.length} of 48 rows wrong`);
        t.is(resolveFeaturesConfig({ env: {} }).retentionMs, 0);
        t.deepEqual(res.warnings, [], 'no retention, nothing to warn about');
      },
      { now: clock.now },
    );
  });

  test(name('retention - a configured retention warns when a write or a materialization falls outside it'), async (t) => {
    const clock = new TestClock(Date.UTC(2026, 11, 1));
    await withService(
      backend,
      async (f) => {
        await f.client.register(pushDef('spend'));
        const w = (day: number) => ({ feature: 'spend@1', entity_id: 'a', event_time_ms: Date.UTC(2026, 10, day), value: { float_value: day } });
        // Cutoff: 2026-12-01 - 10 days = 2026-11-21.
        t.deepEqual((await f.client.write([w(21), w(25)])).warnings, [], 'inside the retention: no warning');
        const old = await f.client.write([w(1), w(2), w(22)]);
        t.is(old.warnings.length, 1);
        t.regex(old.warnings[0] ?? '', /2 of 3 values are older than the retention \(retentionMs 864000000 = 10 days: before 2026-11-21T00:00:00\.000Z\).*pruned/);
        const file = await loadDefinitionFile(join(projectRoot(), 'test/fixtures/features/avg_balance_30d.yaml'));
        await f.client.register(file.features[0] as FeatureDefinition);
        const m = await f.client.materialize('avg_balance_30d@1', T0, Date.UTC(2026, 5, 1));
        t.true(Number(m.values_written) > 0);
        t.regex(m.warnings.join('\n'), /of \d+ values are older than the retention.*pruned/);
      },
      { now: clock.now, overrides: { retentionMs: 10 * 24 * HOUR } },
    );
  });
}
