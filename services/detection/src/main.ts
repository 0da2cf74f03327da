import { envWithDefaultPort, runService } from '@vigil/platform';
import { AppModule } from './app.module';

runService({ service: 'detection', envSchema: envWithDefaultPort(8082), module: AppModule });
