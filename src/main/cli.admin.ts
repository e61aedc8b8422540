import type { Command } from 'commander';
import { verifyAuditTrail } from '../audit/audit.commands.js';
import { createAdminAccount } from '../directory/directory.commands.js';
import { ROLES } from '../directory/directory.js';
import { cliContext } from '../platform/context.js';
import { DomainError } from '../platform/errors/errors.js';
import { createApiToken } from '../signin/tokens.commands.js';
import { configOrExit, fail, withDatabase } from './cli.shared.js';

/** admin create, token create, audit verify. */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('manage privileged accounts');
  admin
    .command('create')
    .description('create an account with a role and print its one-time password (or grant the role to an existing account)')
    .requiredOption('--email <address>', 'the account\'s email address')
    .requiredOption('--role <role>', `one of: ${ROLES.join(', ')}`)
    .option('--org <code>', 'organisation code (default: the platform organisation)')
    .option('--name <display name>', 'display name')
    .action(async (opts: { email: string; role: string; org?: string; name?: string }) => {
      const config = configOrExit();
      try {
        const r = await withDatabase(config, ({ db }) =>
          createAdminAccount(db, cliContext(new Date()), { email: opts.email, role: opts.role, organisationCode: opts.org, displayName: opts.name }),
        );
        if (r.oneTimePassword) {
          console.log(`Created ${r.account.email} with role ${opts.role}.`);
          console.log(`One-time password (shown once, must be changed at first sign-in): ${r.oneTimePassword}`);
        } else {
          console.log(`${r.account.email} already exists: role ${opts.role} granted; password unchanged.`);
        }
      } catch (err) {
        if (err instanceof DomainError) fail(err.message);
        throw err;
      }
    });

  program
    .command('token')
    .description('manage API tokens')
    .command('create')
    .description('create an API token that acts as an account (scoped like that account) and print it once')
    .requiredOption('--email <address>', 'the account the token acts as')
    .requiredOption('--name <name>', 'what the token is for, e.g. "phishing button"')
    .option('--allow-without-mfa', 'for automation: the token works even while the account must use MFA and has not set it up (recorded in the audit trail)')
    .action(async (opts: { email: string; name: string; allowWithoutMfa?: boolean }) => {
      const config = configOrExit();
      try {
        const r = await withDatabase(config, ({ db }) => createApiToken(db, cliContext(new Date()), { email: opts.email, name: opts.name, allowWithoutMfa: opts.allowWithoutMfa === true }));
        console.log(r.token);
        process.stderr.write(`Token ${r.id} created for ${opts.email}${opts.allowWithoutMfa ? ', allowed without MFA' : ''}. It is shown only now; store it safely.\n`);
      } catch (err) {
        if (err instanceof DomainError) fail(err.message);
        throw err;
      }
    });

  program
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('check every link of the hash-chained audit trail; names the first broken event')
    .action(async () => {
      const config = configOrExit();
      const r = await withDatabase(config, ({ db }) => verifyAuditTrail(db));
      if (r.ok) {
        console.log(`Audit trail intact: ${r.checked} events, head ${r.head.seq} ${r.head.hash}`);
        console.log('Record the head hash somewhere outside this database to detect a rewrite of the whole trail.');
        return;
      }
      fail(`audit trail BROKEN at event ${r.broken!.seq}: ${r.broken!.reason} (${r.checked} events before it verified)`, 3);
    });
}
