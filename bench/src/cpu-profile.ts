/**
 * Preload (`node --require bench/dist/cpu-profile.js`) that CPU-profiles a service and writes
 * `<BENCH_PROFILE_DIR>/<pid>.cpuprofile` on SIGTERM. `--cpu-prof` can't be used for the services:
 * Nest's shutdown hooks end the process by re-raising the signal, which skips the profile write.
 */
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
// Registered before the service's own handlers, and the in-thread session answers synchronously,
// so the file is written before Nest closes the app and re-raises the signal.
process.once('SIGTERM', () => {
  session.post('Profiler.stop', (err, result) => {
    if (err) return void process.stderr.write(`cpu profile failed: ${err.message}\n`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
