import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { affectedPersonInputSchema, incidentAddAffectedPeopleCommandV1, zodErrors, type Actor, type AffectedPersonInput, type FieldError } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { RpcClient } from '../rpc.client';
import { CsvError, parseCsv } from './csv';

export const CSV_MEDIA_TYPE = 'text/csv';
const COLUMNS = ['subjectId', 'contact', 'country', 'region', 'dataCategories'] as const;
/** Per command: one insert statement and one timeline entry on the incident side, well under NATS's 1 MiB. */
const CHUNK_ROWS = 2000;
const CHUNK_BYTES = 512 * 1024;
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
 * Sends affected people to the incident service in chunks that fit a NATS message (1 MiB by default):
 * at most 2,000 rows and about 512 KiB of JSON each, each chunk awaited before the next is taken, so
 * neither a large JSON batch nor a streamed CSV is ever held whole. Each chunk is its own transaction
 * on the incident side, and a resend adds nothing (known subjectIds are skipped).
 */
class ChunkedSender {
  private people: AffectedPersonInput[] = [];
  private bytes = 0;
  readonly outcome: ImportOutcome = { added: 0, duplicates: 0, total: 0, rejected: 0, errors: [] };

  constructor(private readonly send: (people: AffectedPersonInput[]) => Promise<{ added: number; duplicates: number; total: number }>) {}

  async add(person: AffectedPersonInput): Promise<void> {
    this.people.push(person);
    this.bytes += JSON.stringify(person).length;
    if (this.people.length >= CHUNK_ROWS || this.bytes >= CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.people.length) return;
    const result = await this.send(this.people);
    this.outcome.added += result.added;
    this.outcome.duplicates += result.duplicates;
    this.outcome.total = result.total;
    this.people = [];
    this.bytes = 0;
  }
}

/**
 * Affected people into an incident, from a JSON batch or a streamed CSV: header `subjectId,contact,
 * country,region,dataCategories` (any order, only subjectId required; categories separated by `;`),
 * read record by record. Invalid CSV rows are skipped and reported with pointers `/<line>/<column>`.
 */
@Injectable()
export class AffectedPeopleImporter {
  constructor(private readonly rpc: RpcClient) {}

  private sender(orgId: string, actor: Actor, ref: string): ChunkedSender {
    return new ChunkedSender(async (people) => {
      const { result } = await this.rpc.query(incidentAddAffectedPeopleCommandV1, { orgId, actor, ref, body: { people } }, 'incident', { timeoutMs: 60_000 });
      return result;
    });
  }

  async addAll(orgId: string, actor: Actor, ref: string, people: readonly AffectedPersonInput[]): Promise<{ added: number; duplicates: number; total: number }> {
    const sender = this.sender(orgId, actor, ref);
    for (const p of people) await sender.add(p);
    await sender.flush();
    const { added, duplicates, total } = sender.outcome;
    return { added, duplicates, total };
  }

  async importCsv(orgId: string, actor: Actor, ref: string, body: AsyncIterable<Buffer | string>): Promise<ImportOutcome> {
    const sender = this.sender(orgId, actor, ref);
    const outcome = sender.outcome;
    let columns: (typeof COLUMNS)[number][] | undefined;
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
        await sender.add(person.data);
      }
      if (!columns) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'the CSV is empty: it needs a header line naming its columns', errors: [{ pointer: '/1', message: 'no header' }] });
      await sender.flush();
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
