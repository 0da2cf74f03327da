import { bootstrapService, createLogger, loadConfig, runMain } from '@vigil/platform';
import { AppModule } from './app.module';
import { notificationEnvSchema } from './config';

runMain(async () => {
  const config = loadConfig(notificationEnvSchema, process.env, 'notification');
  const log = createLogger('notification', config.LOG_LEVEL);
  await bootstrapService(AppModule.forRoot(config, log), { config, log });
});
