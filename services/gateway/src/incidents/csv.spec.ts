import { CsvError, parseCsv } from './csv';

async function all(chunks: (string | Buffer)[]) {
  const out = [];
  for await (const r of parseCsv((async function* () { yield* chunks; })(), { maxFieldLength: 20, maxFields: 5 })) out.push(r);
  return out;
}

describe('streaming CSV', () => {
  it('reads quoted fields, escaped quotes, embedded commas and line breaks, CRLF and LF, whatever the chunking', async () => {
    const text = 'subjectId,contact\r\nu1,"a, b"\n"u""2","line\nbreak"\r\nu3,\n\n';
    const expected = [
      { line: 1, fields: ['subjectId', 'contact'] },
      { line: 2, fields: ['u1', 'a, b'] },
      { line: 3, fields: ['u"2', 'line\nbreak'] },
      { line: 5, fields: ['u3', ''] },
    ];
    expect(await all([text])).toEqual(expected);
    // One character at a time, as the network may split it.
    expect(await all(text.split(''))).toEqual(expected);
  });

  it('decodes UTF-8 split across chunks and refuses invalid UTF-8', async () => {
    const bytes = Buffer.from('u1,Zoë\n');
    expect(await all([bytes.subarray(0, 6), bytes.subarray(6)])).toEqual([{ line: 1, fields: ['u1', 'Zoë'] }]);
    await expect(all([Buffer.from([0x75, 0x31, 0x2c, 0xff, 0x0a])])).rejects.toThrow(/not valid UTF-8/);
  });

  it('refuses malformed quoting and unbounded fields, naming the line', async () => {
    await expect(all(['a,b\nu1,"open\n'])).rejects.toThrow(new CsvError(2, 'a quoted field is never closed'));
    await expect(all(['a,b\nu1,x"y\n'])).rejects.toThrow(/line 2: a quote inside an unquoted field/);
    await expect(all(['a,b\nu1,"x"y\n'])).rejects.toThrow(/line 2: text after a closing quote/);
    await expect(all(['a,b\nu1,' + 'x'.repeat(21) + '\n'])).rejects.toThrow(/line 2: a field longer than 20/);
    await expect(all(['a,b,c,d,e,f\n'])).rejects.toThrow(/line 1: more than 5 fields/);
  });
});
