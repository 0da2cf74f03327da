/** One CSV record and the line it starts on (1-based), for error pointers. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * Streams RFC 4180 records (comma-separated, `"` quoting with `""` escapes, CRLF or LF) out of a
 * byte stream, holding at most one record in memory: a million-row upload is never buffered. Input must
 * be UTF-8; a field longer than `maxFieldLength` is refused rather than grown without bound.
 */
export async function* parseCsv(chunks: AsyncIterable<Buffer | string>, opts: { maxFieldLength: number; maxFields: number }): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let quoteSeen = false; // inside quotes: the previous char was a quote (end of field, or half of "")
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  let closed = false; // the current field's closing quote has been read
  const endField = () => {
    if (fields.length >= opts.maxFields) throw new CsvError(recordLine, `more than ${opts.maxFields} fields`);
    fields.push(field);
    field = '';
    fieldStarted = false;
    closed = false;
  };
  const endRecord = (): CsvRecord | undefined => {
    endField();
    const rec = fields.length === 1 && fields[0] === '' ? undefined : { line: recordLine, fields };
    fields = [];
    recordLine = line;
    return rec;
  };
  const decode = (chunk: Buffer | string, stream: boolean): string => {
    if (typeof chunk === 'string') return chunk;
    try {
      return decoder.decode(chunk, { stream });
    } catch {
      throw new CsvError(line, 'not valid UTF-8');
    }
  };
  let pendingCr = false;
  const feed = function* (text: string): Generator<CsvRecord> {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (c === '\n') continue;
      }
      if (inQuotes) {
        if (quoteSeen) {
          quoteSeen = false;
          if (c === '"') {
            field += '"';
            continue;
          }
          inQuotes = false; // that quote closed the field; c is handled below
          closed = true;
        } else if (c === '"') {
          quoteSeen = true;
          continue;
        } else {
          if (c === '\n') line += 1;
          field += c;
          if (field.length > opts.maxFieldLength) throw new CsvError(recordLine, `a field longer than ${opts.maxFieldLength} characters`);
          continue;
        }
      }
      if (c === ',') {
        endField();
      } else if (c === '\n' || c === '\r') {
        line += 1;
        pendingCr = c === '\r';
        const rec = endRecord();
        if (rec) yield rec;
      } else if (c === '"') {
        if (fieldStarted) throw new CsvError(recordLine, 'a quote inside an unquoted field');
        inQuotes = true;
        fieldStarted = true;
      } else {
        if (closed) throw new CsvError(recordLine, 'text after a closing quote');
        field += c;
        fieldStarted = true;
        if (field.length > opts.maxFieldLength) throw new CsvError(recordLine, `a field longer than ${opts.maxFieldLength} characters`);
      }
    }
  };
  for await (const chunk of chunks) yield* feed(decode(chunk, true));
  yield* feed(decode(Buffer.alloc(0), false));
  if (inQuotes && !quoteSeen) throw new CsvError(recordLine, 'a quoted field is never closed');
  inQuotes = false;
  const last = endRecord();
  if (last) yield last;
}
