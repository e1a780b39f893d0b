/** docs/client.md states the client's real policies: its RPC table is checked against SERVICES and the defaults. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { DEFAULT_CLIENT_OPTIONS, DEFAULT_RETRY_OPTIONS, SERVICES } from '../../shared/client/index.js';

const doc = readFileSync(join(projectRoot(), 'docs/client.md'), 'utf8');

test('client docs - the RPC table has one true row per RPC', (t) => {
  const rows = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const m = /^\| (inference|preprocess|features|monitor|gateway|rollout|retrainer) \| (\w+) \| (.+) \| (yes|no) \| (10 s|5 min|none) \|$/.exec(line);
    if (m) rows.set(`${m[1]}.${m[2]}`, [m[3] as string, m[4] as string, m[5] as string]);
  }
  let n = 0;
  for (const [key, spec] of Object.entries(SERVICES)) {
    for (const [method, policy] of Object.entries(spec.methods as Record<string, { idempotent: boolean; long: boolean; stream: boolean }>)) {
      n++;
      const row = rows.get(`${key}.${method}`);
      t.truthy(row, `docs/client.md lacks ${key} ${method}`);
      if (!row) continue;
      t.true(row[0]?.includes(`\`${method[0]?.toLowerCase()}${method.slice(1)}(`), `${method}: method name`);
      t.is(row[1], policy.idempotent ? 'yes' : 'no', `${method}: retried`);
      t.is(row[2], policy.stream ? 'none' : policy.long ? '5 min' : '10 s', `${method}: deadline`);
    }
  }
  t.is(rows.size, n, 'no rows for RPCs that do not exist');
});

test('client docs - the defaults stated are the code’s', (t) => {
  t.is(DEFAULT_CLIENT_OPTIONS.timeoutMs, 10_000);
  t.is(DEFAULT_CLIENT_OPTIONS.longTimeoutMs, 300_000);
  t.regex(doc, new RegExp(`\\| \`timeoutMs\` \\| deadline of a unary call that gives none, in ms \\| ${DEFAULT_CLIENT_OPTIONS.timeoutMs} \\|`));
  t.regex(doc, new RegExp(`\\| ${DEFAULT_CLIENT_OPTIONS.longTimeoutMs} \\|`));
  t.true(doc.includes(`\`{ maxAttempts: ${DEFAULT_RETRY_OPTIONS.maxAttempts}, initialBackoffMs: ${DEFAULT_RETRY_OPTIONS.initialBackoffMs}, maxBackoffMs: ${DEFAULT_RETRY_OPTIONS.maxBackoffMs}, backoffMultiplier: ${DEFAULT_RETRY_OPTIONS.backoffMultiplier} }\``));
  t.true(doc.includes(`| ${DEFAULT_CLIENT_OPTIONS.maxReceiveMessageBytes} (64 MiB, as the services) |`));
});
