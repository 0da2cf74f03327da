import { runService } from '@vigil/platform';
import { AppModule } from './app.module';
import { detectionEnvSchema } from './config';

runService({
  service: 'detection',
  envSchema: detectionEnvSchema,
  module: AppModule,
  // Answers the gateway's rule, decision and watchlist queries (@MessagePattern) in queue group 'detection'.
  bootstrap: () => ({ rpcQueue: 'detection' }),
});
