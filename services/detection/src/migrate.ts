import { runMigrateCommand } from '@vigil/platform';
import { detectionService } from './app.module';

runMigrateCommand(detectionService);
