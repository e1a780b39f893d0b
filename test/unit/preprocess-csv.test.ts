import test from 'ava';
import { bytesSource, csvBatches } from '../../services/preprocess/index.js';

async function all(text: string | Uint8Array, batchRows = 4096): Promise<{ header: readonly string[]; rows: string[][]; batches: number }> {
  let header: readonly string[] = [];
  const rows: string[][] = [];
  let batches = 0;
  for await (const b of csvBatches(bytesSource(typeof text === 'string' ? Buffer.from(text) : text), { batchRows })) {
    header = b.header;
    t0(b.firstRow, rows.length);
    rows.push(...b.rows.map((r) => [...r]));
    batches++;
  }
  return { header, rows, batches };
}
function t0(a: number, b: number): void {
  if (a !== b) throw new Error(`firstRow ${a} != ${b}`);
}

test('csv - quotes, escaped quotes, commas and newlines inside quotes, CRLF, BOM, blank lines, no final newline', async (t) => {
  const r = await all('\uFEFFa,b,c\r\n1,"x, y","he said ""hi"""\r\n\r\n2,"multi\nline",\n3,,last');
  t.deepEqual(r.header, ['a', 'b', 'c']);
  t.deepEqual(r.rows, [['1', 'x, y', 'he said "hi"'], ['2', 'multi\nline', ''], ['3', '', 'last']]);
});

test('csv - batches of batchRows rows, even inside one chunk, with the right firstRow', async (t) => {
  const text = `h\n${Array.from({ length: 10 }, (_, i) => String(i)).join('\n')}\n`;
  const r = await all(text, 3);
  t.is(r.batches, 4);
  t.deepEqual(r.rows.map((x) => x[0]), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('csv - a multi-byte character split across chunks is decoded whole', async (t) => {
  const bytes = Buffer.from('name\ncafé\n');
  const chunks = [bytes.subarray(0, 9), bytes.subarray(9)]; // splits the é
  const source = { description: 'split', async *open() { yield* chunks; } };
  const rows: string[][] = [];
  for await (const b of csvBatches(source)) rows.push(...b.rows.map((x) => [...x]));
  t.deepEqual(rows, [['café']]);
});

test('csv - errors name the problem: ragged row, unclosed quote, empty file, duplicate or empty header, bad UTF-8', async (t) => {
  await t.throwsAsync(all('a,b\n1,2\n3\n'), { message: /^inline CSV \(10 bytes\): data row 1 \(line 3\) has 1 field, the header has 2$/ });
  await t.throwsAsync(all('a\n"open\n'), { message: /quoted field is not closed/ });
  await t.throwsAsync(all(''), { message: /is empty \(no header row\)/ });
  await t.throwsAsync(all('a,a\n1,2\n'), { message: /names column 'a' twice/ });
  await t.throwsAsync(all('a,,c\n1,2,3\n'), { message: /header column 2 has no name/ });
  await t.throwsAsync(all(Buffer.from([0x61, 0x0a, 0xff, 0x0a])), { message: /not valid UTF-8/ });
});

async function chunked(chunks: readonly string[], o: Parameters<typeof csvBatches>[1] = {}): Promise<string[][]> {
  const source = { description: 'chunked.csv', async *open() { for (const c of chunks) yield Buffer.from(c); } };
  const rows: string[][] = [];
  for await (const b of csvBatches(source, o)) rows.push(...b.rows.map((x) => [...x]));
  return rows;
}

test('csv - a CRLF or a doubled quote split across chunks reads as if whole', async (t) => {
  t.deepEqual(await chunked(['a,b\r', '\n1,"x"', '"y"\r', '\n2,3\r', '\n']), [['1', 'x"y'], ['2', '3']]);
});

test('csv - RFC 4180 quoting is enforced: a quote inside an unquoted field or text after a closing quote is an error naming the file and line', async (t) => {
  await t.throwsAsync(all('a,b\n1,2\nx"y,3\n'), { message: /^inline CSV \(\d+ bytes\): line 3: a quote inside an unquoted field/ });
  await t.throwsAsync(all('a,b\n"ab"c,3\n'), { message: /^inline CSV \(\d+ bytes\): line 2: text after the closing quote/ });
});

test("csv - ragged: 'keep' passes rows with other field counts on (the caller refuses them); the default names the row and line", async (t) => {
  t.deepEqual(await chunked(['a,b\n1,2\n3\n4,5,6\n7,8\n'], { ragged: 'keep' }), [['1', '2'], ['3'], ['4', '5', '6'], ['7', '8']]);
  // A quoted line break moves the line on but not the row.
  await t.throwsAsync(chunked(['a,b\n"1\n1",2\n3\n']), { message: 'chunked.csv: data row 1 (line 4) has 1 field, the header has 2' });
});
