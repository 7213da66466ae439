/**
 * `npm run server`: the reference server with settings from the environment (docs/server.md).
 * Prints one line when ready; a configuration error prints one line to stderr and exits 1.
 */
import { DEFAULTS, serverOptionsFromEnv, startServer, type RunningServer, type ServerOptions } from './index';

async function main(): Promise<void> {
  let server: RunningServer;
  let options: ServerOptions;
  try {
    options = serverOptionsFromEnv(process.env);
    server = await startServer(options);
  } catch (err) {
    process.stderr.write(`reference server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  // Listening for signals before the ready line: whoever reads it may stop the server at once.
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const faults = options.faults?.length ? options.faults.join(',') : 'none';
  // Latitudes are named only when some are on, so the default ready line stays as it always was.
  const latitudes = options.latitudes?.length ? `, latitudes: ${options.latitudes.join(',')}` : '';
  process.stdout.write(
    `reference server ready at ${server.url} (environment ${options.environment ?? DEFAULTS.environment}, faults: ${faults}${latitudes})\n`,
  );
}

void main();
