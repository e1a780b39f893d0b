/**
 * Unit tests of shared/config: option specs and `loadConfig` (defaults < file < environment <
 * overrides). Files are written to a private temp folder; the environment is always passed in
 * explicitly so that the developer's own MLMESH_* variables cannot leak into a test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  boolOption,
  ConfigError,
  describeOptions,
  enumOption,
  intOption,
  listOption,
  loadConfig,
  serviceEnvName,
  stringOption,
} from '../../shared/config/index.js';
import { resolveInferenceConfig } from '../../services/inference/config.js';

const SPECS = {
  host: stringOption({ env: 'MLMESH_T_HOST', default: '127.0.0.1', doc: 'Bind address.', allowEmpty: false }),
  grpcPort: intOption({ env: 'MLMESH_T_GRPC_PORT', default: 8001, min: 0, max: 65535, doc: 'gRPC port.' }),
  verbose: boolOption({ env: 'MLMESH_T_VERBOSE', default: false, doc: 'Chatty logs.' }),
  logLevel: enumOption({ env: 'MLMESH_T_LOG_LEVEL', default: 'info', values: ['debug', 'info', 'warn'], doc: 'Log level.' }),
  models: listOption({ env: 'MLMESH_T_MODELS', default: ['*'], pattern: /^[A-Za-z0-9_*-]+$/, doc: 'Models to load.' }),
  tag: stringOption({ env: 'MLMESH_T_TAG', default: 'dev', pattern: /^[a-z]+$/, doc: 'Deployment tag.' }),
};

const DEFAULTS = { host: '127.0.0.1', grpcPort: 8001, verbose: false, logLevel: 'info', models: ['*'], tag: 'dev' };

let dir = '';
let fileCounter = 0;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-config-test-'));
});

test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a fresh file with extension `ext` and returns its path. */
async function configFile(ext: string, text: string): Promise<string> {
  const path = join(dir, `config-${++fileCounter}${ext}`);
  await writeFile(path, text);
  return path;
}

test('config - defaults apply when there is no file, environment or override', (t) => {
  t.deepEqual(loadConfig(SPECS, { env: {} }), DEFAULTS);
});

test('config - values come from a JSON file', async (t) => {
  const file = await configFile('.json', JSON.stringify({ grpcPort: 9001, verbose: true, models: ['a', 'b'], logLevel: 'debug' }));
  t.deepEqual(loadConfig(SPECS, { file, env: {} }), { ...DEFAULTS, grpcPort: 9001, verbose: true, models: ['a', 'b'], logLevel: 'debug' });
});

test('config - values come from a YAML file', async (t) => {
  const file = await configFile('.yaml', 'host: 0.0.0.0\ngrpcPort: 9100\nmodels:\n  - digits_mlp\n  - dtypes\nverbose: true\n');
  t.deepEqual(loadConfig(SPECS, { file, env: {} }), { ...DEFAULTS, host: '0.0.0.0', grpcPort: 9100, models: ['digits_mlp', 'dtypes'], verbose: true });
});

test('config - the file named by MLMESH_CONFIG is read when no file is given', async (t) => {
  const file = await configFile('.yml', 'grpcPort: 7000\n');
  t.is(loadConfig(SPECS, { env: { MLMESH_CONFIG: file } }).grpcPort, 7000);
});

test('config - an empty YAML file leaves the defaults', async (t) => {
  const file = await configFile('.yaml', '# nothing set\n');
  t.deepEqual(loadConfig(SPECS, { file, env: {} }), DEFAULTS);
});

test('config - a section is read from its key and other sections are ignored', async (t) => {
  const file = await configFile('.yaml', 'inference:\n  grpcPort: 9200\n  tag: prod\ngateway:\n  somethingElse: 1\n');
  const cfg = loadConfig(SPECS, { file, section: 'inference', env: {} });
  t.deepEqual(cfg, { ...DEFAULTS, grpcPort: 9200, tag: 'prod' });
});

test('config - the whole file is used when the section key is absent', async (t) => {
  const file = await configFile('.json', JSON.stringify({ grpcPort: 9300 }));
  t.is(loadConfig(SPECS, { file, section: 'inference', env: {} }).grpcPort, 9300);
});

test('config - an empty section (YAML key with no value) leaves the defaults', async (t) => {
  // `inference:` with every option commented out parses as null; the file's other sections are
  // not this service's options.
  const file = await configFile('.yaml', 'inference:\n  # grpcPort: 9000\ngateway:\n  port: 1\n');
  t.deepEqual(loadConfig(SPECS, { file, section: 'inference', env: {} }), DEFAULTS);
});

test('config - an unknown key in the file is an error naming it and the known options', async (t) => {
  const file = await configFile('.json', JSON.stringify({ grpcPrt: 9000 }));
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.is(err?.option, `${file}: grpcPrt`);
  t.regex(err?.message ?? '', /grpcPrt: unknown option/);
  t.true(err?.message.includes('grpcPort'));
});

test('config - an unknown key inside the section is an error naming section.key', async (t) => {
  const file = await configFile('.yaml', 'inference:\n  grpcPort: 9000\n  hots: 0.0.0.0\n');
  const err = t.throws(() => loadConfig(SPECS, { file, section: 'inference', env: {} }), { instanceOf: ConfigError });
  t.is(err?.option, `${file}: inference.hots`);
  t.true(err?.message.includes('inference.hots'));
});

test('config - a file key that is an Object.prototype name is still an unknown option', async (t) => {
  // `key in specs` also sees inherited properties; such a key must not be silently ignored.
  const file = await configFile('.json', JSON.stringify({ constructor: 1 }));
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.true(err?.message.includes('constructor'));
});

test('config - the environment overrides the file', async (t) => {
  const file = await configFile('.json', JSON.stringify({ grpcPort: 9001, host: 'filehost', models: ['a'] }));
  const cfg = loadConfig(SPECS, { file, env: { MLMESH_T_GRPC_PORT: '9002', MLMESH_T_MODELS: 'b,c' } });
  t.is(cfg.grpcPort, 9002);
  t.deepEqual(cfg.models, ['b', 'c']);
  t.is(cfg.host, 'filehost');
});

test('config - an empty environment variable is ignored', async (t) => {
  const file = await configFile('.json', JSON.stringify({ grpcPort: 9001 }));
  t.is(loadConfig(SPECS, { file, env: { MLMESH_T_GRPC_PORT: '' } }).grpcPort, 9001);
});

test('config - overrides win over the environment and the file', async (t) => {
  const file = await configFile('.json', JSON.stringify({ grpcPort: 9001, tag: 'file' }));
  const cfg = loadConfig(SPECS, { file, env: { MLMESH_T_GRPC_PORT: '9002', MLMESH_T_TAG: 'env' }, overrides: { grpcPort: 0, tag: 'code' } });
  t.is(cfg.grpcPort, 0);
  t.is(cfg.tag, 'code');
});

test('config - overrides are validated too', (t) => {
  const err = t.throws(() => loadConfig(SPECS, { env: {}, overrides: { logLevel: 'loud' } }), { instanceOf: ConfigError });
  t.is(err?.option, 'logLevel (env MLMESH_T_LOG_LEVEL)');
  t.true(err?.message.includes('debug, info, warn'));
});

const BAD_ENV: [option: keyof typeof SPECS, env: string, value: string, fragment: string][] = [
  ['grpcPort', 'MLMESH_T_GRPC_PORT', 'abc', 'expected a number'],
  ['grpcPort', 'MLMESH_T_GRPC_PORT', '1.5', 'expected an integer'],
  ['grpcPort', 'MLMESH_T_GRPC_PORT', '-1', 'must be >= 0'],
  ['grpcPort', 'MLMESH_T_GRPC_PORT', '65536', 'must be <= 65535'],
  ['verbose', 'MLMESH_T_VERBOSE', 'maybe', 'expected a boolean'],
  ['logLevel', 'MLMESH_T_LOG_LEVEL', 'loud', 'expected one of debug, info, warn'],
  ['tag', 'MLMESH_T_TAG', 'Prod', 'does not match'],
  ['models', 'MLMESH_T_MODELS', 'ok,not ok', 'does not match'],
];

for (const [option, env, value, fragment] of BAD_ENV) {
  test(`config - bad ${option} ${JSON.stringify(value)} from the environment names the option and ${env}`, (t) => {
    const err = t.throws(() => loadConfig(SPECS, { env: { [env]: value } }), { instanceOf: ConfigError });
    t.true(err?.message.includes(`${option} (env ${env})`), err?.message);
    t.true(err?.option.startsWith(`${option} (env ${env})`));
    t.true(err?.message.includes(fragment), err?.message);
    t.true(err?.message.startsWith('invalid configuration: '));
  });
}

test('config - a bad value in the file names the option, the file and its env variable', async (t) => {
  // loadConfig's JSDoc: "@throws ConfigError naming the option (and its env variable) when a value is bad".
  const file = await configFile('.json', JSON.stringify({ grpcPort: 70000 }));
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.true(err?.message.includes('grpcPort'), err?.message);
  t.true(err?.message.includes(file), err?.message);
  t.true(err?.message.includes('must be <= 65535'), err?.message);
  t.true(err?.message.includes('MLMESH_T_GRPC_PORT'), err?.message);
});

test('config - an empty string is refused for an option with allowEmpty false', async (t) => {
  const file = await configFile('.json', JSON.stringify({ host: '' }));
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.true(err?.message.includes('host'));
  t.true(err?.message.includes('must not be empty'));
});

test('config - intOption accepts its min and max and rejects one past them', (t) => {
  const spec = intOption({ env: 'X', default: 5, min: 1, max: 10, doc: '' });
  t.is(spec.parse(1, 'n'), 1);
  t.is(spec.parse(10, 'n'), 10);
  t.is(spec.parse(' 7 ', 'n'), 7);
  t.throws(() => spec.parse(0, 'n (env X)'), { instanceOf: ConfigError, message: /n \(env X\): must be >= 1, got 0/ });
  t.throws(() => spec.parse(11, 'n (env X)'), { instanceOf: ConfigError, message: /n \(env X\): must be <= 10, got 11/ });
  t.throws(() => spec.parse(true, 'n'), { instanceOf: ConfigError, message: /expected a number/ });
  t.throws(() => spec.parse('', 'n'), { instanceOf: ConfigError, message: /expected a number/ });
});

test('config - boolOption parses 1/0, yes/no, on/off, true/false in any case', (t) => {
  const spec = boolOption({ env: 'B', default: false, doc: '' });
  for (const v of ['1', 'yes', 'YES', ' on ', 'true', 'True']) t.true(spec.parse(v, 'b'), v);
  for (const v of ['0', 'no', 'No', 'off', 'false', 'FALSE']) t.false(spec.parse(v, 'b'), v);
  t.true(spec.parse(true, 'b'));
  t.false(spec.parse(false, 'b'));
  t.throws(() => spec.parse('2', 'b'), { instanceOf: ConfigError });
  t.throws(() => spec.parse(1, 'b'), { instanceOf: ConfigError });
});

test('config - boolOption reads yes/no from the environment', (t) => {
  t.true(loadConfig(SPECS, { env: { MLMESH_T_VERBOSE: 'yes' } }).verbose);
  t.false(loadConfig(SPECS, { env: { MLMESH_T_VERBOSE: 'no' }, overrides: {} }).verbose);
});

test('config - listOption splits a comma string, trimming and dropping empty items', (t) => {
  const cfg = loadConfig(SPECS, { env: { MLMESH_T_MODELS: ' digits_mlp, dtypes,,slow_chain ,' } });
  t.deepEqual(cfg.models, ['digits_mlp', 'dtypes', 'slow_chain']);
});

test('config - listOption reads a JSON array of strings from the environment, as the README shows the defaults', (t) => {
  t.deepEqual(loadConfig(SPECS, { env: { MLMESH_T_MODELS: '["digits_mlp","digits_two_input"]' } }).models, ['digits_mlp', 'digits_two_input']);
  t.deepEqual(loadConfig(SPECS, { env: { MLMESH_T_MODELS: ' [ "a" , "b-2" ] ' } }).models, ['a', 'b-2']);
  t.deepEqual(loadConfig(SPECS, { env: { MLMESH_T_MODELS: '[]' } }).models, []);
  t.deepEqual(loadConfig(SPECS, { env: { MLMESH_T_MODELS: '["*"]' } }).models, ['*']);
});

test('config - listOption refuses JSON-looking input it cannot read, and items with brackets or quotes, naming the option', (t) => {
  const refused = (value: string, message: RegExp): void => {
    const err = t.throws(() => loadConfig(SPECS, { env: { MLMESH_T_MODELS: value } }), { instanceOf: ConfigError, message });
    t.true(err?.option.startsWith('models (env MLMESH_T_MODELS)'), err?.option);
  };
  // Not valid JSON (single quotes, a trailing comma), a JSON value that is not an array, items that are not strings.
  refused("['a','b']", /is neither a JSON array of strings \(\["a","b"\]\) nor a comma-separated list/);
  refused('["a",]', /is neither a JSON array of strings/);
  refused('[1, 2]', /\[0\]: expected a string, got 1/);
  // Split on commas, these leave brackets and quotes in items.
  refused('"a","b"', /\[0\]: "\\"a\\"" holds a bracket or a quote/);
  refused('a, b]', /\[1\]: "b\]" holds a bracket or a quote/);
  // In a file too, and for an option without a pattern.
  const free = { list: listOption({ env: 'MLMESH_T_LIST', default: [], doc: 'Free list.' }) };
  t.deepEqual(loadConfig(free, { env: { MLMESH_T_LIST: '["x y", "z"]' } }).list, ['x y', 'z']);
  t.throws(() => loadConfig(free, { env: {}, overrides: { list: ['ok', "it's"] } }), { instanceOf: ConfigError, message: /list\b.*\[1\]: "it's" holds a bracket or a quote/ });
  t.throws(() => loadConfig(free, { env: { MLMESH_T_LIST: '{"a": 1}' } }), { instanceOf: ConfigError, message: /list \(env MLMESH_T_LIST\)\[0\]: .* holds a bracket or a quote/ });
});

test('config - listOption checks every item of a JSON array against the option\'s pattern', (t) => {
  t.throws(() => loadConfig(SPECS, { env: { MLMESH_T_MODELS: '["ok", "not ok"]' } }), { instanceOf: ConfigError, message: /models \(env MLMESH_T_MODELS\)\[1\]: "not ok" does not match/ });
});

test('config - the inference service refuses a startupModels item that is not a model name', (t) => {
  t.deepEqual(resolveInferenceConfig({ env: { MLMESH_STARTUP_MODELS: '["digits_mlp","digits_two_input"]' } }).startupModels, ['digits_mlp', 'digits_two_input']);
  t.deepEqual(resolveInferenceConfig({ env: { MLMESH_STARTUP_MODELS: '*' } }).startupModels, ['*']);
  t.deepEqual(resolveInferenceConfig({ env: { MLMESH_STARTUP_MODELS: 'none' } }).startupModels, ['none']);
  t.throws(() => resolveInferenceConfig({ env: { MLMESH_STARTUP_MODELS: 'digits_mlp,../etc' } }), { instanceOf: ConfigError, message: /startupModels.*\[1\]: "\.\.\/etc" does not match/ });
});

test('config - listOption names the index of a bad item in a file list', async (t) => {
  const file = await configFile('.json', JSON.stringify({ models: ['a', 3] }));
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.true(err?.option.startsWith('models'));
  t.true(err?.option.endsWith('[1]'));
  t.true(err?.message.includes('expected a string, got 3'));
});

test('config - listOption refuses a value that is neither a list nor a string', (t) => {
  t.throws(() => loadConfig(SPECS, { env: {}, overrides: { models: 5 } }), { instanceOf: ConfigError, message: /models \(env MLMESH_T_MODELS\): expected a list of strings/ });
});

test('config - an unreadable file is a ConfigError naming the path', (t) => {
  const missing = join(dir, 'does-not-exist.yaml');
  const err = t.throws(() => loadConfig(SPECS, { file: missing, env: {} }), { instanceOf: ConfigError });
  t.is(err?.option, missing);
  t.true(err?.message.includes(missing));
  t.truthy(err?.cause);
});

test('config - invalid JSON is a ConfigError naming the file', async (t) => {
  const file = await configFile('.json', '{"grpcPort": 9000,');
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.is(err?.option, file);
  t.true(err?.message.includes('cannot parse'));
});

test('config - invalid YAML is a ConfigError naming the file', async (t) => {
  const file = await configFile('.yaml', 'grpcPort: [9000\nhost: x\n');
  const err = t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError });
  t.is(err?.option, file);
  t.true(err?.message.includes('cannot parse'));
});

test('config - a file whose top level is not an object is refused', async (t) => {
  const file = await configFile('.json', '[1, 2]');
  t.throws(() => loadConfig(SPECS, { file, env: {} }), { instanceOf: ConfigError, message: /top level must be an object/ });
});

test('config - ConfigError is an Error with its name and option', (t) => {
  const e = new ConfigError('grpcPort (env X)', 'bad', { cause: 'why' });
  t.true(e instanceof Error);
  t.is(e.name, 'ConfigError');
  t.is(e.option, 'grpcPort (env X)');
  t.is(e.message, 'invalid configuration: grpcPort (env X): bad');
  t.is(e.cause, 'why');
});

test('config - describeOptions renders one Markdown row per option', (t) => {
  const lines = describeOptions(SPECS).split('\n');
  t.is(lines[0], '| option | environment | default | meaning |');
  t.is(lines[1], '| --- | --- | --- | --- |');
  t.is(lines.length, 2 + Object.keys(SPECS).length);
  t.true(lines.includes('| `grpcPort` | `MLMESH_T_GRPC_PORT` | `8001` | gRPC port. |'));
  t.true(lines.includes('| `models` | `MLMESH_T_MODELS` | `["*"]` | Models to load. |'));
});

test('config - a former variable name is read when the new one is unset, reported once, and loses to the new one', (t) => {
  const specs = { port: intOption({ env: 'MLMESH_T_PORT', deprecatedEnv: ['T_PORT', 'T_OLDEST_PORT'], default: 1, doc: 'Port.' }) };
  const seen: unknown[] = [];
  t.is(loadConfig(specs, { env: { T_PORT: '7' }, onDeprecated: (d) => seen.push(d) }).port, 7);
  t.deepEqual(seen, [{ variable: 'T_PORT', replacement: 'MLMESH_T_PORT', option: 'port', ignored: false }]);
  seen.length = 0;
  t.is(loadConfig(specs, { env: { T_PORT: '7', MLMESH_T_PORT: '8', T_OLDEST_PORT: '9' }, onDeprecated: (d) => seen.push(d) }).port, 8);
  t.deepEqual(seen, [
    { variable: 'T_PORT', replacement: 'MLMESH_T_PORT', option: 'port', ignored: true },
    { variable: 'T_OLDEST_PORT', replacement: 'MLMESH_T_PORT', option: 'port', ignored: true },
  ]);
  // A bad value under the former name is refused naming the variable that held it.
  t.throws(() => loadConfig(specs, { env: { T_PORT: 'x' } }), { instanceOf: ConfigError, message: /port \(env T_PORT\): expected a number/ });
});

test('config - a mesh-wide fallback variable is read only when the option has no variable of its own set', (t) => {
  const specs = { logLevel: enumOption({ env: 'MLMESH_T_LOG_LEVEL', fallbackEnv: 'MLMESH_LOG_LEVEL', default: 'info', values: ['debug', 'info', 'warn'], doc: 'Log level.' }) };
  t.is(loadConfig(specs, { env: {} }).logLevel, 'info');
  t.is(loadConfig(specs, { env: { MLMESH_LOG_LEVEL: 'warn' } }).logLevel, 'warn');
  t.is(loadConfig(specs, { env: { MLMESH_LOG_LEVEL: 'warn', MLMESH_T_LOG_LEVEL: 'debug' } }).logLevel, 'debug');
  t.throws(() => loadConfig(specs, { env: { MLMESH_LOG_LEVEL: 'loud' } }), { message: /logLevel \(env MLMESH_LOG_LEVEL\): expected one of/ });
  t.true(describeOptions(specs).includes('| `logLevel` | `MLMESH_T_LOG_LEVEL` | `"info"` | Log level. Unset: `MLMESH_LOG_LEVEL`. |'));
});

test('config - serviceEnvName spells MLMESH_<SERVICE>_<OPTION> in upper snake case', (t) => {
  t.is(serviceEnvName('inference', 'spoolFsyncIntervalMs'), 'MLMESH_INFERENCE_SPOOL_FSYNC_INTERVAL_MS');
  t.is(serviceEnvName('monitor', 'mmdMaxRows'), 'MLMESH_MONITOR_MMD_MAX_ROWS');
  t.is(serviceEnvName('features', 'redisUrl'), 'MLMESH_FEATURES_REDIS_URL');
  t.is(serviceEnvName('inference', 'streamMaxAgeS'), 'MLMESH_INFERENCE_STREAM_MAX_AGE_S');
});
