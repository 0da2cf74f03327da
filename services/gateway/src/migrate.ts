import { runMigrateCommand } from '@vigil/platform';
import { gatewayService } from './app.module';

runMigrateCommand(gatewayService);
