import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { RawEventRepository } from './store/raw-event.repository';
import { IngestHandlers } from './store/ingest.handlers';

export const ingestService = {
  service: 'ingest',
  schema: 'ingest',
  migrations,
  streams: [streams.ingest, streams.security, streams.deadLetters],
  outbox: true,
} as const;

export const AppModule = serviceModule(ingestService, { providers: [RawEventRepository, IngestHandlers] });
