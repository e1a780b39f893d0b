/**
 * The lint in `npm test` really enforces the promise rules: ESLint, with the project's own
 * eslint.config.js, run on a fixture that breaks them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { ESLint } from 'eslint';
import { projectRoot } from '../../shared/config/index.js';

const FIXTURE = 'test/fixtures/lint/promises.ts';

/** Line numbers (1-based) of the fixture lines that end with `// <marker>`. */
function markedLines(marker: string): number[] {
  const lines = readFileSync(join(projectRoot(), FIXTURE), 'utf8').split('\n');
  return lines.flatMap((l, i) => (l.trimEnd().endsWith(`// ${marker}`) ? [i + 1] : []));
}

test('lint - a floating promise and promises where values belong are errors, a void-ed caught one is not', async (t) => {
  // ignore: false lints the fixture that the config's ignores keep out of `npm run lint`.
  const eslint = new ESLint({ cwd: projectRoot(), ignore: false });
  const [result] = await eslint.lintFiles([FIXTURE]);
  const found = (rule: string): number[] => (result?.messages ?? []).filter((m) => m.ruleId === rule && m.severity === 2).map((m) => m.line);
  t.deepEqual(found('@typescript-eslint/no-floating-promises'), markedLines('FLOATING'));
  t.deepEqual(found('@typescript-eslint/no-misused-promises').sort(), [...markedLines('MISUSED-CALLBACK'), ...markedLines('MISUSED-TIMER')].sort());
  t.is(result?.messages.length, 3, JSON.stringify(result?.messages.map((m) => `${m.line}: ${m.ruleId}`)));
});
