import { describe, expect, it } from 'vitest';
import { csvCell, csvChunks, csvLine } from './csv.js';

async function collect(gen: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of gen) out += chunk;
  return out;
}

async function* rowsOf<T>(rows: T[]): AsyncGenerator<T> {
  yield* rows;
}

describe('csv', () => {
  it('quotes cells with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
  });

  it('writes null as empty, arrays space-joined, dates as ISO, objects as JSON', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(['password', 'magic_link'])).toBe('password magic_link');
    expect(csvCell([])).toBe('');
    expect(csvCell(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05.000Z');
    expect(csvCell({ a: 1, b: 'x' })).toBe('"{""a"":1,""b"":""x""}"');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(42)).toBe('42');
  });

  it('prefixes cells starting with = + - @ with an apostrophe, then quotes as needed', () => {
    expect(csvCell('=SUM(A1:A2)')).toBe("'=SUM(A1:A2)");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-x')).toBe("'-x");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell(['=a', 'b'])).toBe("'=a b");
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('writes a header row and one CRLF line per row in column order', async () => {
    expect(csvLine(['a', 'b'])).toBe('a,b\r\n');
    const text = await collect(csvChunks(['id', 'name'], rowsOf([{ name: 'x,y', id: 1 }, { id: 2, name: null }])));
    expect(text).toBe('id,name\r\n1,"x,y"\r\n2,\r\n');
  });
});
