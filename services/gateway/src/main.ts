import { runService } from '@vigil/platform';
import { AppModule } from './app.module';
import { gatewayEnvSchema } from './config';
import { BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE } from './events/http-modes';

runService({
  service: 'gateway',
  envSchema: gatewayEnvSchema,
  module: AppModule,
  bootstrap: (config) => ({
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    // CloudEvents batch and structured media types: parsed by the same strict JSON parser as application/json.
    jsonMediaTypes: [BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE],
  }),
});
