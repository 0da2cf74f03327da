import { envWithDefaultPort, runService } from '@vigil/platform';
import { AppModule } from './app.module';

runService({
  service: 'incident',
  envSchema: envWithDefaultPort(8083),
  module: AppModule,
  // Answers the gateway's queries (@MessagePattern) in queue group 'incident'.
  bootstrap: () => ({ rpcQueue: 'incident' }),
});
