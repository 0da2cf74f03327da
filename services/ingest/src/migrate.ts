import { runMigrateCommand } from '@vigil/platform';
import { ingestService } from './app.module';

runMigrateCommand(ingestService);
