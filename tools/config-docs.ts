/** Prints the Markdown table of every service's options (for the README): `npm run docs:config`. */
import { describeOptions } from '../shared/config/index.js';
import { INFERENCE_OPTIONS } from '../services/inference/index.js';
import { MONITOR_OPTIONS } from '../services/monitor/index.js';
import { PREPROCESS_OPTIONS } from '../services/preprocess/index.js';

process.stdout.write(`### inference

${describeOptions(INFERENCE_OPTIONS)}
`);
process.stdout.write(`
### preprocess

${describeOptions(PREPROCESS_OPTIONS)}
`);
process.stdout.write(`
### monitor

${describeOptions(MONITOR_OPTIONS)}
`);
