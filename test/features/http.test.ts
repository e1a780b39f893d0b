/**
 * The HTTP/JSON read beside gRPC: `GET /feature/<name>/<version>?pid=<entity id>&date=<ISO 8601>`
 * on the service's HTTP port, answered with the value in effect at that time (or the latest),
 * its status and event time; errors as JSON with the HTTP status and the parameter at fault. Read
 * with Node's own fetch, no client of ours.
 */
import test from 'ava';
import { TestClock } from '../helpers/features.js';
import { T0, pushDef, withService } from './suite.js';

const HOUR = 3600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Answer {
  status: number;
  type: string | null;
  body: Record<string, unknown>;
}

async function get(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

for (const backend of ['sqlite', 'redis'] as const) {
  test(`${backend}: http - GET /feature/<name>/<version>?pid=&date= answers the value in effect at date, or the latest`, async (t) => {
    const clock = new TestClock(T0 + 10 * HOUR);
    await withService(
      backend,
      async (f) => {
        await f.client.register(pushDef('score', 'FLOAT', 5 * HOUR));
        await f.client.register(pushDef('clicks', 'INT64'));
        await f.client.register(pushDef('plan', 'STRING'));
        await f.client.register(pushDef('emb', 'FLOAT_VECTOR'));
        await f.client.register(pushDef('vip', 'BOOL'));
        await f.client.register(pushDef('score', 'FLOAT', 0, 2));
        await f.client.write([
          { feature: 'score@1', entity_id: 'u1', event_time_ms: T0 + HOUR, value: { float_value: 1.5 } },
          { feature: 'score@1', entity_id: 'u1', event_time_ms: T0 + 3 * HOUR, value: { float_value: 2.5 } },
          { feature: 'score@1', entity_id: 'u/2 x', event_time_ms: T0 + HOUR },
          { feature: 'clicks@1', entity_id: 'u1', event_time_ms: T0, value: { int64_value: '9007199254740993' } },
          { feature: 'plan@1', entity_id: 'u1', event_time_ms: T0, value: { string_value: 'pro "x"' } },
          { feature: 'emb@1', entity_id: 'u1', event_time_ms: T0, value: { float_vector_value: { values: [0.5, -2] } } },
          { feature: 'vip@1', entity_id: 'u1', event_time_ms: T0, value: { bool_value: false } },
          { feature: 'score@2', entity_id: 'u1', event_time_ms: T0, value: { float_value: 9 } },
        ]);
        const at = (q: string) => get(f.http, `/feature/score/1?${q}`);
        const between = await at(`pid=u1&date=${iso(T0 + 2 * HOUR)}`);
        t.is(between.status, 200);
        t.is(between.type, 'application/json; charset=utf-8');
        t.deepEqual(between.body, { feature: 'score@1', pid: 'u1', date: iso(T0 + 2 * HOUR), value_type: 'FLOAT', status: 'PRESENT', value: 1.5, event_time: iso(T0 + HOUR), event_time_ms: T0 + HOUR });
        // The same instant with an offset, and a date-only (00:00 UTC).
        t.like((await at(`pid=u1&date=${encodeURIComponent('2026-01-01T04:00:00+02:00')}`)).body, { date: iso(T0 + 2 * HOUR), value: 1.5 });
        t.like((await at('pid=u1&date=2026-01-01')).body, { date: iso(T0), status: 'NOT_FOUND', value: null, event_time: null, event_time_ms: null });
        t.like((await at(`pid=u1&date=${iso(T0 + 3 * HOUR)}`)).body, { status: 'PRESENT', value: 2.5, event_time_ms: T0 + 3 * HOUR });
        // No date: the latest value, its age measured from now (T0 + 10 h; max age 5 h).
        t.like((await at('pid=u1')).body, { date: null, status: 'OUTSIDE_MAX_AGE', value: null, event_time_ms: T0 + 3 * HOUR });
        clock.ms = T0 + 4 * HOUR;
        t.like((await at('pid=u1')).body, { date: null, status: 'PRESENT', value: 2.5 });
        t.like((await at(`pid=${encodeURIComponent('u/2 x')}&date=${iso(T0 + 2 * HOUR)}`)).body, { pid: 'u/2 x', status: 'NULL_VALUE', value: null, event_time_ms: T0 + HOUR });
        t.like((await at('pid=nobody')).body, { status: 'NOT_FOUND', value: null });
        t.like((await get(f.http, '/feature/score/2?pid=u1')).body, { feature: 'score@2', value: 9 });
        t.like((await get(f.http, '/feature/clicks/1?pid=u1')).body, { value_type: 'INT64', value: '9007199254740993' });
        t.like((await get(f.http, '/feature/plan/1?pid=u1')).body, { value: 'pro "x"' });
        t.like((await get(f.http, '/feature/emb/1?pid=u1')).body, { value: [0.5, -2] });
        t.like((await get(f.http, '/feature/vip/1?pid=u1')).body, { value: false });
        const head = await fetch(`${f.http}/feature/score/1?pid=u1`, { method: 'HEAD' });
        t.is(head.status, 200);
        t.is(await head.text(), '');
        t.is((await fetch(`${f.http}/healthz`)).status, 200, 'the metrics and health routes still answer');
        t.regex(await (await fetch(`${f.http}/metrics`)).text(), /mlmesh_features_values_total/);
      },
      { now: clock.now },
    );
  });
}

test('sqlite: http - bad parameters are 400 naming the parameter, unknown features and versions 404, all as JSON', async (t) => {
  await withService('sqlite', async (f) => {
    await f.client.register(pushDef('score'));
    const cases: [string, number, string | undefined, RegExp][] = [
      ['/feature/score/1', 400, 'pid', /pid: is required \(the entity id\)/],
      ['/feature/score/1?pid=', 400, 'pid', /pid: must be a non-empty string/],
      ['/feature/score/1?pid=a&pid=b', 400, 'pid', /pid: give it once/],
      [`/feature/score/1?pid=${'x'.repeat(300)}`, 400, 'pid', /pid: longer than 256 characters/],
      ['/feature/score/1?pid=u1&date=yesterday', 400, 'date', /date: "yesterday" is not an ISO 8601 date or date-time/],
      ['/feature/score/1?pid=u1&date=2024-02-30', 400, 'date', /date: "2024-02-30" is not a valid date-time: February 2024 has 29 days/],
      ['/feature/score/1?pid=u1&date=1767225600000', 400, 'date', /date: "1767225600000" is not an ISO 8601 date/],
      ['/feature/score/1?pid=u1&date=1970-01-01T00:00:00Z', 400, 'date', /date: must be after 1970-01-01T00:00:00Z/],
      ['/feature/score/1?pid=u1&date=', 400, 'date', /date: must not be empty/],
      ['/feature/score/1?pid=u1&dat=2026-01-01', 400, 'dat', /dat: unknown parameter \(known: pid, date\)/],
      ['/feature/score/one?pid=u1', 400, 'version', /version: "one" is not a version \(a positive integer\)/],
      ['/feature/score/0?pid=u1', 400, 'version', /version: "0" is not a version/],
      ['/feature/Score/1?pid=u1', 400, 'name', /name: "Score" is not a feature name/],
      ['/feature/%E0%A4%A/1?pid=u1', 400, 'name', /name: not valid percent-encoding/],
      ['/feature/nope/1?pid=u1', 404, undefined, /feature nope@1 is not registered \(no version of nope is\)/],
      ['/feature/score/7?pid=u1', 404, undefined, /feature score@7 is not registered \(versions of score: 1\)/],
      ['/feature/score?pid=u1', 404, undefined, /GET \/feature\/<name>\/<version>\?pid=<entity id>&date=<ISO 8601>/],
      ['/feature/score/1/extra?pid=u1', 404, undefined, /GET \/feature\/<name>\/<version>/],
    ];
    for (const [path, status, parameter, message] of cases) {
      const res = await get(f.http, path);
      t.is(res.status, status, path);
      t.is(res.type, 'application/json; charset=utf-8', path);
      const error = res.body['error'] as Record<string, unknown> | undefined;
      t.is(error?.['status'], status, path);
      t.is(error?.['code'], status === 400 ? 'INVALID_ARGUMENT' : 'NOT_FOUND', path);
      t.is(error?.['parameter'], parameter, path);
      t.regex(String(error?.['message']), message, path);
    }
    const post = await fetch(`${f.http}/feature/score/1?pid=u1`, { method: 'POST' });
    t.is(post.status, 405);
  });
});
