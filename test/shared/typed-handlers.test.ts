/**
 * Handlers are typed by the generated `…Handlers` interfaces: a missing, misspelt or mistyped
 * handler fails the build. The TypeScript compiler, with the project's own options, checks
 * test/fixtures/typecheck/handlers.ts, whose wrong lines carry the error code they must get.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import ts from 'typescript';
import { projectRoot } from '../../shared/config/index.js';

const FIXTURE = join(projectRoot(), 'test/fixtures/typecheck/handlers.ts');

test('typed handlers - a missing, misspelt or mistyped handler is a compile error; the right set compiles', (t) => {
  const configPath = join(projectRoot(), 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p)) as { config: unknown };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, projectRoot());
  const program = ts.createProgram([FIXTURE], { ...parsed.options, noEmit: true });
  const source = program.getSourceFile(FIXTURE);
  t.truthy(source);
  const found = ts
    .getPreEmitDiagnostics(program, source)
    .map((d) => `${(d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1) + 1}: TS${d.code}`)
    .sort();
  const expected = readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      const m = /\/\/ (TS\d+)$/.exec(line.trimEnd());
      return m ? [`${i + 1}: ${m[1]}`] : [];
    })
    .sort();
  t.true(expected.length >= 5);
  t.deepEqual(found, expected);
});
