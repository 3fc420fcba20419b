import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { handleSignals, startServer } from './index.js';

try {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const running = await startServer(config, { log });
  handleSignals(running.shutdown, log);
  process.stdout.write(`\n  Flux Klein is running at ${config.baseUrl}\n\n`);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
