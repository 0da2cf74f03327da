import { runMigrateCommand } from '@vigil/platform';
import { notificationService } from './app.module';

runMigrateCommand(notificationService);
