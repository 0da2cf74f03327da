import { runService } from '@vigil/platform';
import { AppModule } from './app.module';
import { incidentEnvSchema } from './config';

runService({
  service: 'incident',
  envSchema: incidentEnvSchema,
  module: AppModule,
  // Answers the gateway's queries and commands (@MessagePattern) in queue group 'incident'.
  bootstrap: () => ({ rpcQueue: 'incident' }),
});
