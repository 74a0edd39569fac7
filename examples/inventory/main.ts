import { ConfigError } from '../../src/config';
import { loadInventoryConfig } from './config';
import { startInventory } from './inventory';

/**
 * The inventory example as a process of its own (the compose stack's
 * `inventory` service): `node dist/examples/inventory/main.js`; its variables
 * are in ./config.ts.
 */
async function main() {
  const { port, jwksUrl, gatewaySecret } = loadInventoryConfig(process.env);
  const inventory = await startInventory({ jwksUrl, gatewaySecret }, port);
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'inventory subgraph listening', port, jwksUrl })}\n`);
  const stop = async () => {
    await inventory.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(err instanceof ConfigError ? `Configuration error: ${err.message}\n` : `${err?.stack ?? err}\n`);
  process.exit(1);
});
