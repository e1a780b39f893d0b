import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { describeOptions, projectRoot } from '../../shared/config/index.js';
import { INFERENCE_OPTIONS } from '../../services/inference/index.js';
import { PREPROCESS_OPTIONS } from '../../services/preprocess/index.js';
import { FEATURES_OPTIONS } from '../../services/features/index.js';
import { GATEWAY_OPTIONS } from '../../services/gateway/index.js';

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
