import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { RawEventRepository } from './store/raw-event.repository';
import { IngestHandlers } from './store/ingest.handlers';
import { VerifyChainController } from './store/verify-chain.controller';
import { GeoLocator } from './enrichment/geo-locator';

export const ingestService = {
  service: 'ingest',
  schema: 'ingest',
  migrations,
  streams: [streams.ingest, streams.security, streams.deadLetters],
  // Ingest no longer queues through its outbox (it publishes after commit, see IngestHandlers); the
  // relay stays on to drain rows an earlier version queued before an upgrade.
  outbox: true,
} as const;

export const AppModule = serviceModule(ingestService, { controllers: [VerifyChainController], providers: [
    RawEventRepository,
    IngestHandlers,
    // Loaded once at start (the bundled IPv4 and IPv6 databases, ~130 MB in memory), shared by every lookup.
    { provide: GeoLocator, useFactory: () => GeoLocator.load() },
  ],
});
