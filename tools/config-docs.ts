/** Prints the Markdown table of every service's options (for the README): `npm run docs:config`. */
import { describeOptions } from '../shared/config/index.js';
import { INFERENCE_OPTIONS } from '../services/inference/index.js';
import { FEATURES_OPTIONS } from '../services/features/index.js';
import { MONITOR_OPTIONS } from '../services/monitor/index.js';
import { PREPROCESS_OPTIONS } from '../services/preprocess/index.js';
import { GATEWAY_OPTIONS } from '../services/gateway/index.js';
import { ROLLOUT_OPTIONS } from '../services/rollout/index.js';
import { RETRAINER_OPTIONS } from '../services/retrainer/index.js';
import { MESH_OPTIONS } from './mesh/index.js';

process.stdout.write(`### inference\n\n${describeOptions(INFERENCE_OPTIONS)}\n`);
process.stdout.write(`\n### preprocess\n\n${describeOptions(PREPROCESS_OPTIONS)}\n`);
process.stdout.write(`\n### features\n\n${describeOptions(FEATURES_OPTIONS)}\n`);
process.stdout.write(`\n### monitor\n\n${describeOptions(MONITOR_OPTIONS)}\n`);
process.stdout.write(`\n### gateway\n\n${describeOptions(GATEWAY_OPTIONS)}\n`);
process.stdout.write(`\n### rollout\n\n${describeOptions(ROLLOUT_OPTIONS)}\n`);
process.stdout.write(`\n### retrainer\n\n${describeOptions(RETRAINER_OPTIONS)}\n`);
process.stdout.write(`\n### mesh (mlmesh up; docs/mesh.md)\n\n${describeOptions(MESH_OPTIONS)}\n`);
