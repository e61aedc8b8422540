#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../platform/config/config.js';
import { registerAdminCommands } from './cli.admin.js';
import { registerDataCommands } from './cli.data.js';
import { registerServeCommands } from './cli.serve.js';
import { registerAccountsCommands } from './cli.accounts.js';
import { registerGatewayCommands } from './cli.gateway.js';
import { registerNotifyCommands } from './cli.notify.js';
import { registerRecoveryCommands } from './cli.recovery.js';
import { registerReportsCommands } from './cli.reports.js';
import { fail } from './cli.shared.js';

/**
 * The `postwarden` command. Every subcommand reads the same configuration as `serve`
 * (environment, optional POSTWARDEN_CONFIG file) and reports every configuration problem
 * at once before exiting with status 2.
 */
const program = new Command()
  .name('postwarden')
  .description('Postwarden: account security and delegated administration for a shared email service.')
  .version('0.1.0')
  .addHelpText('after', '\nConfiguration comes from POSTWARDEN_* environment variables (and DATABASE_URL); see the README.')
  .showHelpAfterError();

registerServeCommands(program);
registerAdminCommands(program);
registerDataCommands(program);
registerNotifyCommands(program);
registerGatewayCommands(program);
registerRecoveryCommands(program);
registerAccountsCommands(program);
registerReportsCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) fail(err.message, 2);
  fail(err instanceof Error ? err.message : String(err));
});
