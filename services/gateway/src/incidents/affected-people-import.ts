import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { affectedPersonInputSchema, incidentAddAffectedPeopleCommandV1, zodErrors, type Actor, type AffectedPersonInput, type FieldError } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { RpcClient } from '../rpc.client';
import { CsvError, parseCsv } from './csv';

export const CSV_MEDIA_TYPE = 'text/csv';
const COLUMNS = ['subjectId', 'contact', 'country', 'region', 'dataCategories'] as const;
/** Rows per command: one insert statement and one timeline entry on the incident side, well under NATS's 1 MiB. */
const CHUNK_ROWS = 2000;
const ERRORS_SHOWN = 100;

export interface ImportOutcome {
  added: number;
  duplicates: number;
  total: number;
  rejected: number;
  errors: FieldError[];
}

/**
 * Hands text/csv bodies to the route as the raw request stream, so an upload of any size is read as it
 * arrives (the JSON body limit does not apply to it).
 */
@Injectable()
export class CsvBodies implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addContentTypeParser(CSV_MEDIA_TYPE, (_req, payload, done) => done(null, payload));
  }
}

/**
 * Streams a CSV of affected people into an incident: header `subjectId,contact,country,region,
 * dataCategories` (any order, only subjectId required; categories separated by `;`), read record by
 * record and sent in chunks of 2,000 rows, each awaited before more is read, so memory stays flat
 * whatever the file's size. Invalid rows are skipped and reported with pointers `/<line>/<column>`;
 * a resent file adds nothing (the incident skips known subjectIds).
 */
@Injectable()
export class AffectedPeopleImporter {
  constructor(private readonly rpc: RpcClient) {}

  async import(orgId: string, actor: Actor, ref: string, body: AsyncIterable<Buffer | string>): Promise<ImportOutcome> {
    const outcome: ImportOutcome = { added: 0, duplicates: 0, total: 0, rejected: 0, errors: [] };
    let columns: (typeof COLUMNS)[number][] | undefined;
    let chunk: AffectedPersonInput[] = [];
    const flush = async () => {
      if (!chunk.length) return;
      const { result } = await this.rpc.query(incidentAddAffectedPeopleCommandV1, { orgId, actor, ref, body: { people: chunk } }, 'incident', { timeoutMs: 60_000 });
      outcome.added += result.added;
      outcome.duplicates += result.duplicates;
      outcome.total = result.total;
      chunk = [];
    };
    try {
      for await (const record of parseCsv(body, { maxFieldLength: 1024, maxFields: COLUMNS.length })) {
        if (!columns) {
          columns = header(record.fields);
          continue;
        }
        const row: Record<string, unknown> = {};
        record.fields.forEach((value, i) => {
          const column = columns![i];
          if (column === undefined || value === '') return;
          row[column] = column === 'dataCategories' ? value.split(';').map((c) => c.trim()).filter(Boolean) : value;
        });
        const person = affectedPersonInputSchema.safeParse(row);
        if (!person.success) {
          outcome.rejected += 1;
          if (outcome.errors.length < ERRORS_SHOWN) outcome.errors.push(...zodErrors(person.error, `/${record.line}`).slice(0, ERRORS_SHOWN - outcome.errors.length));
          continue;
        }
        chunk.push(person.data);
        if (chunk.length >= CHUNK_ROWS) await flush();
      }
      if (!columns) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'the CSV is empty: it needs a header line naming its columns', errors: [{ pointer: '/1', message: 'no header' }] });
      await flush();
    } catch (err) {
      if (err instanceof CsvError) {
        // Rows before the broken line are in; resending the corrected file adds only the rest.
        throw new ProblemException({ status: 400, title: 'Bad Request', detail: `${err.message}; ${outcome.added} people were added before it`, errors: [{ pointer: `/${err.line}`, message: err.message }] });
      }
      throw err;
    }
    return outcome;
  }
}

function header(fields: string[]): (typeof COLUMNS)[number][] {
  const names = fields.map((f) => f.trim());
  const errors: FieldError[] = [];
  names.forEach((n, i) => {
    if (!(COLUMNS as readonly string[]).includes(n)) errors.push({ pointer: `/1/${i}`, message: `unknown column '${n.slice(0, 64)}' (columns: ${COLUMNS.join(', ')})` });
  });
  if (new Set(names).size !== names.length) errors.push({ pointer: '/1', message: 'a column is named twice' });
  if (!names.includes('subjectId')) errors.push({ pointer: '/1', message: 'the subjectId column is required' });
  if (errors.length) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid CSV header', errors });
  return names as (typeof COLUMNS)[number][];
}
