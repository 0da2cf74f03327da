import { runService } from '@vigil/platform';
import { AppModule } from './app.module';
import { gatewayEnvSchema } from './config';

runService({
  service: 'gateway',
  envSchema: gatewayEnvSchema,
  module: AppModule,
  bootstrap: (config) => ({
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    // CloudEvents batch mode media type, parsed like JSON.
    jsonMediaTypes: ['application/cloudevents-batch+json', 'application/cloudevents+json'],
  }),
});
