import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { describeOptions, projectRoot } from '../../shared/config/index.js';
import { INFERENCE_OPTIONS } from '../../services/inference/index.js';
import { PREPROCESS_OPTIONS } from '../../services/preprocess/index.js';
import { FEATURES_OPTIONS } from '../../services/features/index.js';
import { GATEWAY_OPTIONS } from '../../services/gateway/index.js';
import { ROLLOUT_OPTIONS } from '../../services/rollout/index.js';
import { RETRAINER_OPTIONS } from '../../services/retrainer/index.js';

test('readme - the options table is the one the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of describeOptions(INFERENCE_OPTIONS).split('\n').slice(2)) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

test('readme - the preprocess options table is the one the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of describeOptions(PREPROCESS_OPTIONS).split('\n').slice(2)) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

test('readme - the features options table is the one the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of describeOptions(FEATURES_OPTIONS).split('\n').slice(2)) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

test('readme - the gateway options table is the one the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of describeOptions(GATEWAY_OPTIONS).split('\n').slice(2)) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

test('readme - the rollout and retrainer options tables are the ones the code describes (npm run docs:config)', (t) => {
  const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
  for (const row of [...describeOptions(ROLLOUT_OPTIONS).split('\n').slice(2), ...describeOptions(RETRAINER_OPTIONS).split('\n').slice(2)]) {
    t.true(readme.includes(row), `README.md lacks or misstates: ${row}`);
  }
});

test('repository - no tracked text file holds a merge conflict marker', (t) => {
  // A merge once left <<<<<<< / >>>>>>> blocks in README.md unseen: every tracked file is checked.
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: projectRoot(), encoding: 'utf8' }).split('\0').filter((f) => f !== '' && !/\.(onnx|npy|f32|png|sqlite|bin)$/.test(f));
  const marked: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(join(projectRoot(), f), 'utf8');
    } catch {
      // Removed in the work tree but still tracked: nothing to read.
      continue;
    }
    if (/^(<{7}|>{7}) /m.test(text) || /^<{7}$|^>{7}$/m.test(text)) marked.push(f);
  }
  t.deepEqual(marked, []);
});
