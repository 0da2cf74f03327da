import { runService } from '@vigil/platform';
import { AppModule } from './app.module';
import { notificationEnvSchema } from './config';

runService({
  service: 'notification',
  envSchema: notificationEnvSchema,
  module: AppModule,
  // Answers the gateway's drill-recipient queries (@MessagePattern) in queue group 'notification'.
  bootstrap: () => ({ rpcQueue: 'notification' }),
});
