import { bootstrapService, createLogger, loadConfig, runMain } from '@vigil/platform';
import { AppModule } from './app.module';
import { gatewayEnvSchema } from './config';

runMain(async () => {
  const config = loadConfig(gatewayEnvSchema, process.env, 'gateway');
  const log = createLogger('gateway', config.LOG_LEVEL);
  await bootstrapService(AppModule.forRoot(config, log), {
    config,
    log,
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    // CloudEvents batch mode media type, parsed like JSON.
    jsonMediaTypes: ['application/cloudevents-batch+json', 'application/cloudevents+json'],
  });
});
