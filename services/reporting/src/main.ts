import { baseEnvSchema, bootstrapService, createLogger, loadConfig, runMain } from '@vigil/platform';
import { AppModule } from './app.module';

runMain(async () => {
  const config = loadConfig(baseEnvSchema.extend({ PORT: baseEnvSchema.shape.PORT.default(8085) }), process.env, 'reporting');
  const log = createLogger('reporting', config.LOG_LEVEL);
  await bootstrapService(AppModule.forRoot(config, log), { config, log, rpcQueue: "reporting" });
});
