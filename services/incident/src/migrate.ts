import { runMigrateCommand } from '@vigil/platform';
import { incidentService } from './app.module';

runMigrateCommand(incidentService);
