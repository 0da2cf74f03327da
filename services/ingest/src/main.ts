import { envWithDefaultPort, runService } from '@vigil/platform';
import { AppModule } from './app.module';

runService({ service: 'ingest', envSchema: envWithDefaultPort(8081), module: AppModule });
