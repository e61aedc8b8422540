import type { Command } from 'commander';
import { ensurePlatformOrganisation, createAdminAccount } from '../directory/directory.commands.js';
import { seedDemoOrganisation } from '../directory/demo.js';
import { cliContext } from '../platform/context.js';
import { describeConfig } from '../platform/config/config.js';
import { reportingAddresses } from '../reports/reports.config.js';
import { migrateToLatest, openDatabase } from '../platform/db/db.js';
import { migrations } from './migrations.js';
import { createLogger } from '../platform/log/log.js';
import { configOrExit, withDatabase } from './cli.shared.js';
import { ensureDkimKey } from '../platform/notify/dkim.js';
import { ensureDataDir } from './init.js';
import { startServer, stopOnSignals } from './serve.js';
import { configSections } from './config.js';

/** init, migrate, serve and quickstart. */
export function registerServeCommands(program: Command): void {
  program
    .command('init')
    .description('create the data directory and secret key, migrate the database, create the platform organisation')
    .action(async () => {
      const { config, createdKey } = ensureDataDir(configOrExit());
      await withDatabase(config, async ({ db }) => ensurePlatformOrganisation(db, cliContext(new Date()), config.platformDomain));
      console.log(`Data directory: ${config.dataDir}`);
      console.log(createdKey ? `Created secret key ${config.dataDir}/secret.key (keep it safe and back it up: encrypted data cannot be read without it).` : 'Secret key: already present.');
      console.log(`Database: ${describeConfig(config, configSections).databaseUrl} (migrated)`);
      const dkim = ensureDkimKey(config).key;
      console.log(`DKIM key: ${config.dataDir}/dkim/${config.dkimSelector}.pem. Publish this DNS TXT record so receivers can verify the platform's mail:`);
      console.log(`  ${dkim.txtName}. IN TXT "${dkim.txtValue}"`);
      console.log('Next: `postwarden admin create --email you@example.org --role platform-admin`, then `postwarden serve`.');
    });

  program
    .command('migrate')
    .description('bring the database schema up to date (also done automatically at start)')
    .action(async () => {
      const config = configOrExit();
      const handle = await openDatabase(config.databaseUrl);
      try {
        const r = await migrateToLatest(handle.db, migrations, handle.schema);
        const applied = r.results?.filter((m) => m.status === 'Success').map((m) => m.migrationName) ?? [];
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
      } finally {
        await handle.close();
      }
    });

  program
    .command('serve')
    .description('run the web portal, the API, the SMTP gateway and the background jobs; never seeds data')
    .action(async () => {
      const config = configOrExit();
      const logger = createLogger(config.logLevel);
      const running = await startServer(config, logger);
      stopOnSignals(running, logger);
      console.log(`Portal: ${running.portalUrl}/`);
      console.log(`SMTP gateway: ${running.smtpAddress}`);
      if (running.metricsAddress) console.log(`Metrics: http://${running.metricsAddress}/metrics`);
    });

  program
    .command('quickstart')
    .description('first run on a fresh machine: init, seed a demo organisation and a platform admin once, then serve')
    .action(async () => {
      const { config } = ensureDataDir(configOrExit());
      const ctx = cliContext(new Date());
      const firstRun = await withDatabase(config, async ({ db }) => {
        await ensurePlatformOrganisation(db, ctx, config.platformDomain);
        const demo = await seedDemoOrganisation(db, ctx, config.platformDomain, config.secretKey);
        if (!demo) return null;
        const admin = await createAdminAccount(db, ctx, { email: `admin@${config.platformDomain}`, role: 'platform-admin', displayName: 'Platform administrator' });
        // Platform staff for the demo: a helpdesk agent (verify-then-reset console) and a CSOC analyst (reports, compromise).
        const helpdesk = await createAdminAccount(db, ctx, { email: `helpdesk.agent@${config.platformDomain}`, role: 'helpdesk', displayName: 'Helen Desk (helpdesk agent)' });
        const csoc = await createAdminAccount(db, ctx, { email: `csoc.analyst@${config.platformDomain}`, role: 'csoc', displayName: 'Sam Okoro (CSOC analyst)' });
        return { demo, admin, staff: [{ who: 'Helpdesk agent', created: helpdesk }, { who: 'CSOC analyst', created: csoc }] };
      });
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const running = await startServer(config, logger);
      stopOnSignals(running, logger);
      const lines = [
        '',
        `  Postwarden is running.`,
        `  Portal:        ${running.portalUrl}/`,
        `  API docs:      ${running.portalUrl}/api/docs`,
        ...(running.metricsAddress ? [`  Metrics:       http://${running.metricsAddress}/metrics (loopback only; not on the portal)`] : []),
        `  SMTP gateway:  ${running.smtpAddress} (mail for the demo trust and the platform domain; reporting address ${reportingAddresses(config)[0]})`,
        `  Data:          ${config.dataDir}`,
        `  Mail:          ${config.smarthostUrl ? 'through the configured smarthost' : `delivered locally to ${config.dataDir}/mail/<address>/ (set POSTWARDEN_SMARTHOST_URL to relay)`}`,
        `  DKIM DNS TXT:  ${ensureDkimKey(config).key.txtName}. IN TXT "${ensureDkimKey(config).key.txtValue}"`,
      ];
      if (firstRun) {
        lines.push(
          '',
          '  One-time credentials (shown once; each must be changed at first sign-in):',
          `    Platform admin:  ${firstRun.admin.account.email}  ${firstRun.admin.oneTimePassword ?? '(existing account: password unchanged)'}`,
          ...firstRun.staff.map((s) => `    ${s.who}:  ${s.created.account.email}  ${s.created.oneTimePassword ?? '(existing account: password unchanged)'}`),
          ...firstRun.demo.map((d) => `    ${d.who}:  ${d.email}  ${d.password}`),
          '',
          '  Demo accounts have the demo security answers (first school Hillside, first pet Biscuit, first car Ford Fiesta).',
          '',
          '  Privileged and Finance/HR accounts must set up MFA (an authenticator app or a security key) at first sign-in.',
        );
      } else {
        lines.push('', '  Demo data and credentials were created on the first run. To add an admin: postwarden admin create --email … --role platform-admin');
      }
      lines.push('', '  Stop with Ctrl+C.', '');
      console.log(lines.join('\n'));
    });
}
