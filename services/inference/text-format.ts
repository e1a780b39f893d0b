/**
 * A reader of the protobuf text format (what Triton's `config.pbtxt` is written in), schemaless:
 * it turns the text into a tree of fields with their line and column, and the caller checks the
 * tree against a message type (see triton-config.ts). It accepts what protobuf's own
 * `TextFormat` parser accepts for the messages mlmesh reads:
 *
 * - `name: value` for scalars and `name { … }`, `name: { … }` or `name < … >` for messages;
 * - lists `name: [a, b]` and `name [ {…}, {…} ]` (each element is one occurrence of the field);
 * - identifiers (enum values, `true`/`false`, `inf`, `nan`), numbers (decimal, `0x` hex, leading
 *   `0` octal, floats with exponents and an `f` suffix, `-` before any of them), strings in
 *   single or double quotes with C escapes, adjacent strings concatenated;
 * - `#` comments to the end of a line; `,` or `;` after a field.
 *
 * Extension and Any fields (`[pkg.ext]: …`) are refused. Every error names the line and column.
 */
import { TextFormatError } from './errors.js';

/** Where something is in the text (both 1-based). */
export interface TextPosition {
  line: number;
  col: number;
}

/** A scalar as written: an identifier, a number (its text, sign applied) or a string (decoded). */
export type TextScalar =
  | { kind: 'identifier'; text: string; at: TextPosition }
  | { kind: 'number'; text: string; at: TextPosition }
  | { kind: 'string'; value: string; at: TextPosition };

/** One occurrence of a field: `value` is a scalar or a nested message. */
export interface TextField {
  name: string;
  at: TextPosition;
  value: TextScalar | TextMessage;
}

/** A message: its fields in the order written (a repeated field occurs several times). */
export interface TextMessage {
  kind: 'message';
  fields: TextField[];
  at: TextPosition;
}

type Token =
  | { type: 'identifier'; text: string; at: TextPosition }
  | { type: 'number'; text: string; at: TextPosition }
  | { type: 'string'; value: string; at: TextPosition }
  | { type: 'symbol'; text: string; at: TextPosition }
  | { type: 'end'; at: TextPosition };

const SYMBOLS = new Set([':', '{', '}', '<', '>', '[', ']', ',', ';', '-']);
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };

/** Splits the text into tokens. */
class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  fail(at: TextPosition, msg: string): never {
    throw new TextFormatError(this.source, at.line, at.col, msg);
  }

  private advance(n = 1): void {
    for (let i = 0; i < n; i++) {
      if (this.text[this.pos] === '\n') {
        this.line++;
        this.col = 1;
      } else this.col++;
      this.pos++;
    }
  }

  private skipSpaceAndComments(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos] as string;
      if (c === '#') {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.advance();
      } else if (/\s/.test(c)) this.advance();
      else break;
    }
  }

  next(): Token {
    this.skipSpaceAndComments();
    const at = { line: this.line, col: this.col };
    if (this.pos >= this.text.length) return { type: 'end', at };
    const rest = this.text.slice(this.pos);
    const c = rest[0] as string;
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      this.advance(ident[0].length);
      return { type: 'identifier', text: ident[0], at };
    }
    const num = /^(0[xX][0-9A-Fa-f]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?)/.exec(rest);
    if (num) {
      // "1abc" is one bad token, not a number and an identifier.
      const after = rest[num[0].length];
      if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) this.fail(at, `malformed number '${/^[A-Za-z0-9_.+-]+/.exec(rest)?.[0] ?? num[0]}'`);
      this.advance(num[0].length);
      return { type: 'number', text: num[0], at };
    }
    if (c === '"' || c === "'") return { type: 'string', value: this.string(c, at), at };
    if (SYMBOLS.has(c)) {
      this.advance();
      return { type: 'symbol', text: c, at };
    }
    return this.fail(at, `unexpected character '${c}'`);
  }

  /** A quoted string with C escapes; the bytes of \x and octal escapes are read as UTF-8. */
  private string(quote: string, at: TextPosition): string {
    this.advance();
    const bytes: number[] = [];
    const pushText = (s: string): void => {
      for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
    };
    for (;;) {
      if (this.pos >= this.text.length) this.fail(at, 'unterminated string');
      const c = this.text[this.pos] as string;
      if (c === '\n') this.fail(at, 'unterminated string (a string cannot span lines)');
      if (c === quote) {
        this.advance();
        return Buffer.from(bytes).toString('utf8');
      }
      if (c !== '\\') {
        pushText(c);
        this.advance();
        continue;
      }
      const escAt = { line: this.line, col: this.col };
      const e = this.text[this.pos + 1];
      if (e === undefined) this.fail(at, 'unterminated string');
      if (e in SIMPLE_ESCAPES) {
        pushText(SIMPLE_ESCAPES[e] as string);
        this.advance(2);
      } else if (e === 'x' || e === 'X') {
        const hex = /^[0-9A-Fa-f]{1,2}/.exec(this.text.slice(this.pos + 2));
        if (!hex) this.fail(escAt, 'malformed \\x escape');
        bytes.push(parseInt(hex[0], 16));
        this.advance(2 + hex[0].length);
      } else if (/[0-7]/.test(e)) {
        const oct = /^[0-7]{1,3}/.exec(this.text.slice(this.pos + 1)) as RegExpExecArray;
        bytes.push(parseInt(oct[0], 8) & 0xff);
        this.advance(1 + oct[0].length);
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const hex = new RegExp(`^[0-9A-Fa-f]{${n}}`).exec(this.text.slice(this.pos + 2));
        if (!hex) this.fail(escAt, `malformed \\${e} escape (needs ${n} hex digits)`);
        pushText(String.fromCodePoint(parseInt(hex[0], 16)));
        this.advance(2 + n);
      } else this.fail(escAt, `unknown escape '\\${e}'`);
    }
  }
}

/** Parses tokens into the field tree. */
class Parser {
  private token: Token;

  constructor(private readonly lexer: Lexer) {
    this.token = lexer.next();
  }

  private fail(at: TextPosition, msg: string): never {
    return this.lexer.fail(at, msg);
  }

  private describe(t: Token): string {
    switch (t.type) {
      case 'end':
        return 'the end of the file';
      case 'string':
        return 'a string';
      case 'symbol':
        return `'${t.text}'`;
      default:
        return `'${t.text}'`;
    }
  }

  private take(): Token {
    const t = this.token;
    this.token = this.lexer.next();
    return t;
  }

  private isSymbol(s: string): boolean {
    return this.token.type === 'symbol' && this.token.text === s;
  }

  /** Fields until `close` (a symbol) or, at the top, the end of the text. */
  message(at: TextPosition, close: string | undefined): TextMessage {
    const fields: TextField[] = [];
    for (;;) {
      const t = this.token;
      if (close === undefined && t.type === 'end') break;
      if (close !== undefined && t.type === 'symbol' && t.text === close) {
        this.take();
        break;
      }
      if (t.type === 'end') this.fail(t.at, `expected '${close}' to close the message opened at line ${at.line}, column ${at.col}, got the end of the file`);
      if (t.type === 'symbol' && t.text === '[') this.fail(t.at, 'extension and Any fields ([...]) are not supported');
      if (t.type !== 'identifier') this.fail(t.at, `expected a field name, got ${this.describe(t)}`);
      this.take();
      this.field(t.text, t.at, fields);
      if (this.isSymbol(',') || this.isSymbol(';')) this.take();
    }
    return { kind: 'message', fields, at };
  }

  private field(name: string, at: TextPosition, into: TextField[]): void {
    const colon = this.isSymbol(':');
    if (colon) this.take();
    if (this.isSymbol('{') || this.isSymbol('<')) {
      const open = this.take();
      into.push({ name, at, value: this.message(open.at, (open as { text: string }).text === '{' ? '}' : '>') });
      return;
    }
    if (this.isSymbol('[')) {
      const open = this.take();
      if (this.isSymbol(']')) {
        this.take();
        return;
      }
      for (;;) {
        if (this.isSymbol('{') || this.isSymbol('<')) {
          const o = this.take();
          into.push({ name, at, value: this.message(o.at, (o as { text: string }).text === '{' ? '}' : '>') });
        } else {
          if (!colon) this.fail(this.token.at, `expected ':' before the list of scalars of field '${name}'`);
          into.push({ name, at, value: this.scalar(name) });
        }
        if (this.isSymbol(',')) {
          this.take();
          continue;
        }
        if (this.isSymbol(']')) {
          this.take();
          return;
        }
        this.fail(this.token.at, `expected ',' or ']' in the list of field '${name}' opened at line ${open.at.line}, column ${open.at.col}, got ${this.describe(this.token)}`);
      }
    }
    if (!colon) this.fail(this.token.at, `expected ':' or '{' after field name '${name}', got ${this.describe(this.token)}`);
    into.push({ name, at, value: this.scalar(name) });
  }

  private scalar(name: string): TextScalar {
    const t = this.token;
    if (t.type === 'symbol' && t.text === '-') {
      this.take();
      const n = this.token;
      if (n.type === 'number') {
        this.take();
        return { kind: 'number', text: `-${n.text}`, at: t.at };
      }
      if (n.type === 'identifier' && /^(inf|infinity|nan)$/i.test(n.text)) {
        this.take();
        return { kind: 'identifier', text: `-${n.text}`, at: t.at };
      }
      return this.fail(n.at, `expected a number after '-' for field '${name}', got ${this.describe(n)}`);
    }
    if (t.type === 'number') {
      this.take();
      return { kind: 'number', text: t.text, at: t.at };
    }
    if (t.type === 'identifier') {
      this.take();
      return { kind: 'identifier', text: t.text, at: t.at };
    }
    if (t.type === 'string') {
      let value = t.value;
      this.take();
      // Adjacent strings are one: "a" "b" is "ab".
      while (this.token.type === 'string') value += (this.take() as { value: string }).value;
      return { kind: 'string', value, at: t.at };
    }
    return this.fail(t.at, `expected a value for field '${name}', got ${this.describe(t)}`);
  }
}

/**
 * Parses protobuf text format into a field tree (no schema: the caller checks names and types).
 * `source` names the text in messages (e.g. `models/densenet/config.pbtxt`).
 * @throws TextFormatError naming the line and column of the first syntax error.
 */
export function parseTextFormat(text: string, source: string): TextMessage {
  // A UTF-8 byte order mark is not part of the text.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return new Parser(new Lexer(body, source)).message({ line: 1, col: 1 }, undefined);
}
