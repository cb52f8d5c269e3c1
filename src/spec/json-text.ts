// JSON text of a spec: where a syntax error is and which fields are written twice, by line and
// column. JSON.parse still parses; its messages and positions differ between engines (some carry
// no position at all), so this one-pass scanner locates the problems itself. (jsonc-parser, the
// maintained alternative, was tried: see docs/spec-and-cli.md for why the scanner stays.)

export interface JsonProblem {
  pos: number;
  message: string;
}

/** A field written twice in one object: its path, and the offsets of the second and the first key. */
export interface DuplicateKey {
  path: (string | number)[];
  pos: number;
  firstPos: number;
}

export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

export function fromEngineMessage(text: string, err: unknown): JsonProblem {
  const message = err instanceof Error ? err.message : String(err);
  const m = /position (\d+)/.exec(message);
  return { pos: m ? Number(m[1]) : text.length, message: message.replace(/ in JSON at position \d+.*$/, '') };
}

/** The first syntax error in `text` as JSON (RFC 8259), or null if there is none. */
export function locateJsonError(text: string): JsonProblem | null {
  return scanJson(text).error;
}

/** Every field that appears more than once in its object (RFC 8259 leaves it open; JSON.parse keeps the last). */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  return scanJson(text).duplicates;
}

/** Deeper nesting is refused (a spec is a few levels deep; the scanner recurses once per level). */
const MAX_DEPTH = 256;

/**
 * A number literal with a non-zero digit that JSON.parse reads as 0 (1e-400: below the smallest
 * float64 number, 5e-324), so a message can show what was written instead of "received 0".
 */
export interface Underflow {
  path: (string | number)[];
  pos: number;
  literal: string;
}

/** One pass over JSON text: the first syntax error, the duplicate keys before it, and the number literals that underflow to 0. */
export function scanJson(text: string): { error: JsonProblem | null; duplicates: DuplicateKey[]; underflows: Underflow[] } {
  const duplicates: DuplicateKey[] = [];
  const underflows: Underflow[] = [];
  const path: (string | number)[] = [];
  let i = 0;
  const fail = (message: string, pos = i): never => {
    throw { pos, message } satisfies JsonProblem;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const shown = (pos: number) => (pos >= text.length ? 'the end of the text' : text.charCodeAt(pos) < 0x20 ? JSON.stringify(text[pos]) : `'${text[pos]}'`);
  const value = (): void => {
    ws();
    const c = text[i];
    if ((c === '{' || c === '[') && path.length >= MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels (an experiment spec is a few levels deep)`);
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    for (const word of ['NaN', 'Infinity', '-Infinity', 'undefined']) {
      if (text.startsWith(word, i)) fail(`${word} is not JSON: write a finite number (or null where allowed)`);
    }
    if (c === "'") fail('strings need double quotes in JSON');
    if (i >= text.length) fail('unexpected end of the text: expected a value');
    fail(`expected a value (an object, array, string, number, true, false or null); found ${shown(i)}`);
  };
  const object = () => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    const keys = new Map<string, number>();
    for (;;) {
      ws();
      if (text[i] !== '"') fail(text[i] === "'" ? 'property names need double quotes in JSON' : `expected a property name in double quotes; found ${shown(i)}`);
      const keyStart = i;
      string();
      const key = JSON.parse(text.slice(keyStart, i)) as string; // a valid JSON string: string() checked it
      const firstPos = keys.get(key);
      if (firstPos !== undefined) duplicates.push({ path: [...path, key], pos: keyStart, firstPos });
      else keys.set(key, keyStart);
      ws();
      if (text[i] !== ':') fail(`expected ':' after the property name; found ${shown(i)}`);
      i++;
      path.push(key);
      value();
      path.pop();
      ws();
      if (text[i] === ',') {
        const comma = i++;
        ws();
        if (text[i] === '}') fail("trailing comma before '}' (JSON allows none)", comma);
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected ',' or '}' after a property value; found ${shown(i)}`);
    }
  };
  const array = () => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      path.push(index);
      value();
      path.pop();
      ws();
      if (text[i] === ',') {
        const comma = i++;
        ws();
        if (text[i] === ']') fail("trailing comma before ']' (JSON allows none)", comma);
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected ',' or ']' after an array element; found ${shown(i)}`);
    }
  };
  const string = () => {
    const start = i++;
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) fail('control character in a string (write \\n, \\t, …)');
      if (code === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('expected four hex digits after \\u');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`invalid escape \\${e ?? ''} in a string`);
      } else i++;
    }
  };
  const number = () => {
    const re = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) {
      if (text.startsWith('-Infinity', i)) fail('-Infinity is not JSON: write a finite number');
      fail('invalid number');
    }
    const literal = m![0];
    if (Number(literal) === 0 && /[1-9]/.test(literal.replace(/[eE].*$/, ''))) underflows.push({ path: [...path], pos: i, literal });
    i += literal.length;
    if (i < text.length && /[0-9.eE]/.test(text[i])) fail('invalid number (JSON allows no leading zeros, and a "." needs digits on both sides)');
  };
  try {
    ws();
    if (i >= text.length) fail('the text is empty: expected a JSON object');
    value();
    ws();
    if (i < text.length) fail(`unexpected text after the end of the JSON value: ${shown(i)}`);
    return { error: null, duplicates, underflows };
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'pos' in e && 'message' in e) return { error: e as JsonProblem, duplicates, underflows };
    throw e;
  }
}
