import { envWithDefaultPort, runService } from '@vigil/platform';
import { AppModule } from './app.module';

runService({
  service: 'reporting',
  envSchema: envWithDefaultPort(8085),
  module: AppModule,
  // Answers the gateway's queries (@MessagePattern) in queue group 'reporting'.
  bootstrap: () => ({ rpcQueue: 'reporting' }),
});
