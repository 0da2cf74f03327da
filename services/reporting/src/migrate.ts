import { runMigrateCommand } from '@vigil/platform';
import { reportingService } from './app.module';

runMigrateCommand(reportingService);
