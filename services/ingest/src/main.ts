import { runService } from '@vigil/platform';
import { AppModule } from './app.module';
import { ingestEnvSchema } from './config';

runService({
  service: 'ingest',
  envSchema: ingestEnvSchema,
  module: AppModule,
  // Answers chain verification queries (@MessagePattern) in queue group 'ingest'.
  bootstrap: () => ({ rpcQueue: 'ingest' }),
});
