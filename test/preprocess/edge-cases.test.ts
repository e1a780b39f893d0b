/**
 * Edge cases found in review: colliding output names, column names that are Object.prototype
 * members, missing-value tokens sent online, StandardScaler's constant-feature rule, YAML
 * non-finite values, and ordinal codes reused for unknown categories.
 */
import test from 'ava';
import { CompiledPipeline, bytesSource, fitPipeline, parseSpec } from '../../services/preprocess/index.js';

async function fit(spec: string, csv: string) {
  return (await fitPipeline({ spec: parseSpec(spec), source: bytesSource(Buffer.from(csv)), name: 'x', version: '1', producedBy: 'test' })).artifact;
}

type Val = number | string | null;
// Built as the gRPC layer decodes it (proto-loader objects), cast to the generated type.
const rec = (o: Record<string, Val>): Parameters<CompiledPipeline['transformRecords']>[0][number] => ({
  fields: Object.fromEntries(
    Object.entries(o).map(([k, v]) => [
      k,
      v === null ? { kind: 'null_value', null_value: 'NULL_VALUE' } : typeof v === 'number' ? { kind: 'double_value', double_value: v } : { kind: 'string_value', string_value: v },
    ]),
  ),
}) as unknown as Parameters<CompiledPipeline['transformRecords']>[0][number];

test('fit - an output name produced twice is refused, naming the step and the column', async (t) => {
  await t.throwsAsync(fit('steps: [{type: one_hot, columns: [color]}]', 'color,color_red\nred,5\nblue,7\n'), { message: /steps\[0\] \(one_hot\): column 'color_red': is produced twice/ });
  await t.throwsAsync(fit('steps: [{type: one_hot, columns: [a, a_b]}]', 'a,a_b\nb_c,c\nx,y\n'), { message: /column 'a_b_c': is produced twice/ });
  await t.throwsAsync(fit('steps: [{type: derive, name: c_r, op: sum, left: x, right: y}, {type: one_hot, columns: [c]}]', 'x,y,c\n1,2,r\n3,4,s\n'), { message: /steps\[1\] \(one_hot\): column 'c_r'/ });
});

test('fit - columns named after Object.prototype members are ordinary columns', async (t) => {
  const a = await fit('steps: [{type: standard_scale, columns: [constructor]}, {type: drop, columns: [toString]}]', 'constructor,toString,x\n1,a,5\n3,b,6\n');
  t.deepEqual(a.feature_names, ['constructor', 'x']);
  const out = new CompiledPipeline(a).transformRecords([rec({ constructor: 1, toString: 'a', x: 5 })]);
  t.deepEqual(Array.from(out.values64), [-1, 5]);
});

test('transform - missing-value tokens and NaN sent online are missing, as in the CSV the CLI reads', async (t) => {
  const a = await fit('steps: [{type: impute, columns: [c], strategy: most_frequent}, {type: impute, columns: [x], strategy: mean}, {type: one_hot, columns: [c], handle_unknown: error}]', 'c,x\na,1\na,3\nb,NaN\nNA,2\n');
  const p = new CompiledPipeline(a);
  const csv = p.transformCsv(['c', 'x'], [['NA', 'NaN'], ['', '']]);
  const online = p.transformRecords([rec({ c: 'NA', x: NaN }), rec({ c: '', x: 'NaN' })]);
  t.deepEqual(online.errors, []);
  t.deepEqual(Array.from(online.values64), Array.from(csv.values64));
  t.deepEqual(Array.from(online.values64), [1, 0, 2, 1, 0, 2]); // c_a, c_b, x: "a" and mean(1, 3, 2) imputed
  // Infinity is not a missing value.
  t.is(p.transformRecords([rec({ c: 'a', x: Infinity })]).errors[0]?.code, 'NOT_FINITE');
});

test('fit - StandardScaler keeps tiny real spreads and treats rounding noise on large constants as constant (sklearn _is_constant_feature)', async (t) => {
  const tiny = await fit('steps: [{type: standard_scale, columns: [x]}]', 'x\n1e-17\n2e-17\n3e-17\n');
  // sklearn 1.2.1: StandardScaler().fit([[1e-17],[2e-17],[3e-17]]).scale_ == 8.16496581e-18
  t.true(Math.abs(((tiny.steps[0] as unknown as { fitted: { x: { scale_: number } } }).fitted.x.scale_) - 8.16496580927726e-18) < 1e-30);
  const big = await fit('steps: [{type: standard_scale, columns: [x]}]', 'x\n1e9\n1e9\n1e9\n1000000000.0000001\n');
  t.is((big.steps[0] as unknown as { fitted: { x: { scale_: number } } }).fitted.x.scale_, 1);
});

test('spec - YAML infinities and NaN are refused naming the field; ordinal unknown_value may not reuse a code', async (t) => {
  t.throws(() => parseSpec('name: .inf\nsteps: [{type: drop, columns: [x]}]'), { message: /name: Infinity is not allowed/ });
  t.throws(() => parseSpec('steps: [{type: standard_scale, columns: [x], foo: .nan}]'), { message: /steps\[0\]\.foo: NaN is not allowed/ });
  t.throws(() => parseSpec('steps: [{type: ordinal, columns: [c], handle_unknown: use_encoded_value, unknown_value: 0.5}]'), { message: /unknown_value: must be an integer/ });
  await t.throwsAsync(fit('steps: [{type: ordinal, columns: [c], handle_unknown: use_encoded_value, unknown_value: 0}]', 'c\na\nb\n'), { message: /column 'c': unknown_value 0 is already the code of category "a"/ });
  const ok = await fit('steps: [{type: ordinal, columns: [c], handle_unknown: use_encoded_value, unknown_value: -1}]', 'c\na\nb\n');
  t.deepEqual(Array.from(new CompiledPipeline(ok).transformRecords([rec({ c: 'b' }), rec({ c: 'zzz' })]).values64), [1, -1]);
});

test('encode - a numeric column one-hot encodes in numeric order, as sklearn on an int column; a string column (declared or cast) in text order', async (t) => {
  const csv = 'rooms,code\n1,1\n10,10\n2,2\n-3,-3\n2,2\n1e21,1e21\n';
  const numeric = await fit('steps: [{type: one_hot, columns: [rooms], handle_unknown: error}, {type: drop, columns: [code]}]', csv);
  // sklearn 1.2.1: OneHotEncoder().fit(np.array([[1],[10],[2],[-3],[2]])).get_feature_names_out(['rooms'])
  // == ['rooms_-3' 'rooms_1' 'rooms_2' 'rooms_10']; a large integer is written in full digits, as Python's str(int).
  t.deepEqual(numeric.feature_names, ['rooms_-3', 'rooms_1', 'rooms_2', 'rooms_10', 'rooms_1000000000000000000000']);
  const asText = await fit('columns: {code: string}\nsteps: [{type: one_hot, columns: [code]}, {type: drop, columns: [rooms]}]', csv);
  t.deepEqual(asText.feature_names, ['code_-3', 'code_1', 'code_10', 'code_1e21', 'code_2']);
  const cast = await fit('steps: [{type: cast, columns: [rooms], to: string}, {type: one_hot, columns: [rooms]}, {type: drop, columns: [code]}]', csv);
  t.deepEqual(cast.feature_names, ['rooms_-3', 'rooms_1', 'rooms_10', 'rooms_1e+21', 'rooms_2']);

  // Online, a number is matched by value whatever its form (10, 10.0, an int64, a CSV "1e1").
  const p = new CompiledPipeline(numeric);
  const int64 = { fields: { rooms: { kind: 'int64_value', int64_value: '10' } } } as unknown as Parameters<CompiledPipeline['transformRecords']>[0][number];
  const online = p.transformRecords([rec({ rooms: 10.0 }), int64, rec({ rooms: -3 })]);
  t.deepEqual(online.errors, []);
  t.deepEqual(Array.from(online.values64), [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
  t.deepEqual(Array.from(p.transformCsv(['rooms', 'code'], [['1e1', 'x']]).values64), [0, 0, 0, 1, 0]);
  const unseen = p.transformRecords([rec({ rooms: 2.5 })]);
  t.deepEqual(unseen.errors.map((e) => [e.code, e.message]), [['UNKNOWN_CATEGORY', "'rooms': category 2.5 was not seen in training"]]);
  t.is(p.transformRecords([rec({ rooms: null })]).errors[0]?.code, 'MISSING_REQUIRED');
});

test('encode - ordinal codes of a numeric column follow numeric order; rare_label still needs a categorical column', async (t) => {
  const a = await fit('steps: [{type: ordinal, columns: [level], handle_unknown: use_encoded_value, unknown_value: -1}]', 'level\n9\n10\n8\n10\n');
  t.deepEqual((a.steps[0] as unknown as { categories: Record<string, string[]> }).categories['level'], ['8', '9', '10']);
  t.deepEqual(Array.from(new CompiledPipeline(a).transformRecords([rec({ level: 10 }), rec({ level: 8 }), rec({ level: 11 })]).values64), [2, 0, -1]);
  await t.throwsAsync(fit('steps: [{type: rare_label, columns: [level]}, {type: ordinal, columns: [level]}]', 'level\n9\n10\n'), { message: /steps\[0\] \(rare_label\): column 'level': is numeric/ });
});
