/** Unit tests of shared/routes: validation, the sticky hash, and the per-request choice. */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { Route } from '../../shared/events/index.js';
import { candidateSplit, chooseVersion, compileRoute, routeViolations, stickyHash32, stickyPoint, versionAtPoint } from '../../shared/routes/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';

const route = (over: Partial<Route> = {}): Route => ({
  model: 'm',
  versions: [
    { version: '1', weight: 90 },
    { version: '2', weight: 10 },
  ],
  ...over,
});

/** A seeded uniform draw in [0, 1) (mulberry32, the monitor's), so the statistics tests are reproducible. */
const seeded = seededRandom;

/** |observed - n p| within `sigmas` binomial standard deviations. */
function withinBinomial(t: { true: (b: boolean, m?: string) => void }, observed: number, n: number, p: number, sigmas = 4, what = ''): void {
  const sd = Math.sqrt(n * p * (1 - p));
  t.true(Math.abs(observed - n * p) <= sigmas * sd, `${what}: ${observed} of ${n}, expected ${(n * p).toFixed(0)} ± ${(sigmas * sd).toFixed(0)}`);
}

const fields = (r: Route) => routeViolations(r).map((v) => v.field);

test('validate - a good route has no violations', (t) => {
  t.deepEqual(routeViolations(route()), []);
  t.deepEqual(routeViolations(route({ sticky: 'parameter', sticky_parameter: 'customer_id', shadows: [{ version: '3', percent: 100 }] })), []);
  t.deepEqual(routeViolations(route({ versions: [{ version: '1', weight: 1 }, { version: '3', weight: 0 }], shadows: [{ version: '3', percent: 5 }] })), [], 'a weight-0 version may be shadowed');
});

test('validate - every violation names its field', (t) => {
  t.deepEqual(fields(route({ model: '' })), ['model']);
  t.deepEqual(fields(route({ versions: [] })), ['versions']);
  t.deepEqual(fields(route({ versions: [{ version: '1', weight: 1 }, { version: '1', weight: 2 }] })), ['versions[1].version']);
  t.deepEqual(fields(route({ versions: [{ version: '', weight: 1 }] })), ['versions[0].version']);
  t.deepEqual(fields(route({ versions: [{ version: '1', weight: 1 }, { version: '2', weight: 1.5 }] })), ['versions[1].weight']);
  t.deepEqual(fields(route({ versions: [{ version: '1', weight: 0 }, { version: '2', weight: 0 }] })), ['versions']);
  t.deepEqual(fields(route({ shadows: [{ version: '3', percent: 0 }] })), ['shadows[0].percent']);
  t.deepEqual(fields(route({ shadows: [{ version: '3', percent: 100.5 }] })), ['shadows[0].percent']);
  t.deepEqual(fields(route({ shadows: [{ version: '2', percent: 5 }] })), ['shadows[0].version'], 'a serving version cannot be a shadow');
  t.deepEqual(fields(route({ shadows: [{ version: '3', percent: 5 }, { version: '3', percent: 6 }] })), ['shadows[1].version']);
  t.deepEqual(fields(route({ sticky: 'cookie' })), ['sticky']);
  t.deepEqual(fields(route({ sticky: 'parameter' })), ['sticky_parameter']);
  t.deepEqual(fields(route({ sticky: 'request_id', sticky_parameter: 'x' })), ['sticky_parameter']);
  const e = t.throws(() => compileRoute(route({ versions: [{ version: '1', weight: 1 }, { version: '2', weight: -1 }] })), { instanceOf: InvalidArgumentError });
  t.is(e.field, 'versions[1].weight');
  t.regex(e.message, /versions\[1\]\.weight/);
});

test('hash - FNV-1a + fmix32 is stable (pinned values) and encodes UTF-8', (t) => {
  // Pinned (computed independently with Python over str.encode('utf-8')): changing the hash
  // would move every sticky entity at once.
  const pinned: [string, number][] = [
    ['', 0xab3e7c0b],
    ['a', 0x1a80b1b3],
    ['customer-1', 0xe89706e8],
    ['é', 0x8e4756c7],
    ['\u{1F600}', 0x3303a80a],
  ];
  for (const [k, h] of pinned) t.is(stickyHash32(k), h, JSON.stringify(k));
  // UTF-8: a string and the same bytes spelled as code points hash alike only if encoded alike.
  const utf8 = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => String.fromCharCode(b)).join('');
  t.not(stickyHash32('é'), stickyHash32(utf8('é')), 'é is two bytes, not one char code');
  t.is(stickyHash32('\u{1F600}'), stickyHash32('\u{1F600}'));
  t.not(stickyHash32('\u{1F600}'), stickyHash32('\uD83D'), 'a surrogate pair is one code point');
  const p = stickyPoint('m', 'k');
  t.true(p >= 0 && p < 1);
});

test('choose - shares of 100k random requests are within 4 sigma of the weights', (t) => {
  const c = compileRoute(route({ versions: [{ version: 'a', weight: 70 }, { version: 'b', weight: 20 }, { version: 'z', weight: 0 }, { version: 'c', weight: 10 }] }));
  const rand = seeded(1);
  const n = 100_000;
  const count = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const ch = chooseVersion(c, undefined, rand);
    t.is(ch.kind, 'weights');
    count.set(ch.version, (count.get(ch.version) ?? 0) + 1);
  }
  withinBinomial(t, count.get('a') ?? 0, n, 0.7, 4, 'a');
  withinBinomial(t, count.get('b') ?? 0, n, 0.2, 4, 'b');
  withinBinomial(t, count.get('c') ?? 0, n, 0.1, 4, 'c');
  t.is(count.get('z'), undefined, 'weight 0 gets nothing');
});

test('choose - sticky: 100k random keys split within 4 sigma of the weights, and a key stays put', (t) => {
  const c = compileRoute(route({ sticky: 'parameter', sticky_parameter: 'customer_id' }));
  const n = 100_000;
  let second = 0;
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = randomBytes(8).toString('hex');
    keys.push(key);
    const ch = chooseVersion(c, key);
    t.is(ch.kind, 'sticky');
    if (ch.version === '2') second++;
  }
  withinBinomial(t, second, n, 0.1, 4, 'version 2 (random keys)');
  // Sequential keys (customer-0, customer-1, ...) too: the finaliser spreads them.
  let seq = 0;
  for (let i = 0; i < n; i++) if (chooseVersion(c, `customer-${i}`).version === '2') seq++;
  withinBinomial(t, seq, n, 0.1, 4, 'version 2 (sequential keys)');
  // Stickiness: the same key, drawn again under other random draws, gets the same version.
  const rand = seeded(2);
  for (const key of keys.slice(0, 2000)) t.is(chooseVersion(c, key, rand).version, chooseVersion(c, key, rand).version);
  // Without a key, a sticky route falls back to the weights.
  t.is(chooseVersion(c, undefined).kind, 'weights');
  // A route of 'none' ignores the key.
  t.is(chooseVersion(compileRoute(route()), 'k').kind, 'weights');
});

test('choose - monotone: as the candidate (listed first) grows, keys only move to it', (t) => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `entity-${i}`);
  let previous: string[] | undefined;
  for (const pct of [0, 1, 5, 10, 25, 50, 75, 99, 100]) {
    const c = compileRoute({ model: 'm', sticky: 'request_id', versions: candidateSplit('cand', 'base', pct) });
    const now = keys.map((k) => chooseVersion(c, k).version);
    const onCandidate = now.filter((v) => v === 'cand').length;
    if (pct > 0 && pct < 100) withinBinomial(t, onCandidate, keys.length, pct / 100, 4, `candidate at ${pct}%`);
    if (pct === 0) t.is(onCandidate, 0);
    if (pct === 100) t.is(onCandidate, keys.length);
    if (previous) {
      const back = now.filter((v, i) => previous![i] === 'cand' && v !== 'cand').length;
      t.is(back, 0, `no key left the candidate when it grew to ${pct}%`);
    }
    previous = now;
  }
});

test('choose - monotone for a candidate in the middle when the others keep their ratio', (t) => {
  const keys = Array.from({ length: 10_000 }, (_, i) => `k${i}`);
  const at = (cand: number) =>
    compileRoute({
      model: 'm',
      sticky: 'request_id',
      versions: [
        { version: 'a', weight: (100 - cand) * 3 },
        { version: 'cand', weight: cand * 4 },
        { version: 'b', weight: (100 - cand) * 1 },
      ],
    });
  const before = keys.map((k) => chooseVersion(at(10), k).version);
  const after = keys.map((k) => chooseVersion(at(40), k).version);
  t.is(before.filter((v, i) => v === 'cand' && after[i] !== 'cand').length, 0);
  t.true(after.filter((v) => v === 'cand').length > before.filter((v) => v === 'cand').length);
});

test('choose - the weights hold: same point, same version; points cover [0,1) by the order', (t) => {
  const c = compileRoute(route());
  t.is(versionAtPoint(c, 0), '1');
  t.is(versionAtPoint(c, 0.8999), '1');
  t.is(versionAtPoint(c, 0.9), '2');
  t.is(versionAtPoint(c, 0.9999999999), '2');
});

test('choose - shadows: each gets a copy with its percent, independently', (t) => {
  const c = compileRoute(route({ shadows: [{ version: 's1', percent: 5 }, { version: 's2', percent: 100 }] }));
  const rand = seeded(3);
  const n = 50_000;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const ch = chooseVersion(c, undefined, rand);
    if (ch.shadows.includes('s1')) s1++;
    if (ch.shadows.includes('s2')) s2++;
  }
  withinBinomial(t, s1, n, 0.05, 4, 's1');
  t.is(s2, n);
  t.deepEqual(chooseVersion(compileRoute(route()), undefined).shadows, []);
});

test('choose - candidateSplit lists the candidate first, in hundredths of a percent', (t) => {
  t.deepEqual(candidateSplit('2', '1', 12.5), [
    { version: '2', weight: 1250 },
    { version: '1', weight: 8750 },
  ]);
  t.deepEqual(compileRoute({ model: 'm', versions: candidateSplit('2', '1', 100) }).needs, ['2', '1']);
});

test('choose - calibration: batch counts scatter as a binomial does (random draws and sticky hashes alike)', (t) => {
  // 400 batches of 500 requests at 30%: about 4.55% of batches fall outside ±2 sigma if the
  // draws are independent with the right share; over-dispersed (correlated) or under-dispersed
  // (too regular) choices would move that rate. Accept the binomial(400, 0.0455) 4-sigma range.
  const c = compileRoute({ model: 'cal', versions: [{ version: 'a', weight: 3 }, { version: 'b', weight: 7 }] });
  const n = 500;
  const p = 0.3;
  const sd = Math.sqrt(n * p * (1 - p));
  const rand = seeded(11);
  const keyRand = seeded(12);
  for (const how of ['random', 'sticky'] as const) {
    let outside = 0;
    for (let b = 0; b < 400; b++) {
      let k = 0;
      for (let i = 0; i < n; i++) {
        const key = how === 'sticky' ? `user-${Math.floor(keyRand() * 2 ** 40)}` : undefined;
        if (chooseVersion(how === 'sticky' ? { ...c, sticky: 'request_id' } : c, key, rand).version === 'a') k++;
      }
      if (Math.abs(k - n * p) > 2 * sd) outside++;
    }
    const expected = 400 * 0.0455;
    const tol = 4 * Math.sqrt(400 * 0.0455 * (1 - 0.0455));
    t.true(Math.abs(outside - expected) <= tol, `${how}: ${outside} of 400 batches outside ±2σ, expected ${expected.toFixed(1)} ± ${tol.toFixed(1)}`);
  }
});
