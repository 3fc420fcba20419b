import { ConfigError, loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { handleSignals, startWorker } from '../server/index.js';

try {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { role: 'worker' });
  const worker = await startWorker(config, { log });
  handleSignals(worker.shutdown, log);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
