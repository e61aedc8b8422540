import type { Command } from 'commander';
import {
  type QuarantineStatusFilter, deleteQuarantine, getQuarantineFor, listQuarantineFor, rawQuarantineFor, releaseQuarantine,
} from '../gateway/gateway.commands.js';
import { mailRoot } from '../gateway/gateway.service.js';
import { cliContext } from '../platform/context.js';
import { openNextHop } from '../platform/smtp/nexthop.js';
import { configOrExit, fail, failOnDomainError, withDatabase } from './cli.shared.js';

const STATUSES = ['held', 'released', 'deleted', 'all'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function idOrExit(id: string): string {
  if (!UUID.test(id)) fail(`not a quarantine id: ${id}`);
  return id;
}


/** CLI commands of the gateway capability: the quarantine (see docs/GATEWAY.md). */
export function registerGatewayCommands(program: Command): void {
  const q = program.command('quarantine').description('messages the SMTP gateway held instead of delivering (spoofed system mail, block rules)');

  q.command('list')
    .description('list quarantined messages, newest first')
    .option('--status <status>', `one of: ${STATUSES.join(', ')}`, 'held')
    .option('--limit <n>', 'at most this many (1–1000)', '100')
    .option('--json', 'print a JSON array (one object per message) instead of a table')
    .action(async (opts: { status: string; limit: string; json?: boolean }) => {
      if (!STATUSES.includes(opts.status)) fail(`--status must be one of: ${STATUSES.join(', ')}`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) fail('--limit must be a whole number from 1 to 1000');
      const config = configOrExit();
      const items = await failOnDomainError(() => withDatabase(config, ({ db }) => listQuarantineFor(db, cliContext(new Date()), { status: opts.status as QuarantineStatusFilter, limit })));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
        return;
      }
      if (!items.length) {
        console.log(`No ${opts.status === 'all' ? '' : `${opts.status} `}messages.`);
        return;
      }
      for (const i of items) {
        console.log(`${i.id}  ${i.receivedAt}  ${i.status.padEnd(8)}  ${i.reason.padEnd(19)}  from ${i.headerFrom ?? i.mailFrom ?? '-'}  to ${i.recipients.join(',')}  ${JSON.stringify(i.subject ?? '')}`);
      }
    });

  q.command('show')
    .description('show one quarantined message (its details and header; --raw prints the whole message)')
    .argument('<id>', 'quarantine id (from `quarantine list`)')
    .option('--raw', 'print the stored message itself (RFC 5322), for analysis')
    .option('--json', 'print the details as JSON')
    .action(async (id: string, opts: { raw?: boolean; json?: boolean }) => {
      const config = configOrExit();
      idOrExit(id);
      if (opts.raw) {
        const raw = await failOnDomainError(() => withDatabase(config, ({ db }) => rawQuarantineFor(db, cliContext(new Date()), id)));
        process.stdout.write(raw);
        return;
      }
      const item = await failOnDomainError(() => withDatabase(config, ({ db }) => getQuarantineFor(db, cliContext(new Date()), id)));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(item, null, 2)}\n`);
        return;
      }
      const { header, ...rest } = item;
      for (const [k, v] of Object.entries(rest)) console.log(`${k}: ${Array.isArray(v) ? v.join(', ') : String(v ?? '-')}`);
      if (header) console.log(`\n${header}`);
    });

  q.command('release')
    .description('deliver a held message to the recipients it was held from (recorded in the audit trail)')
    .argument('<id>', 'quarantine id')
    .action(async (id: string) => {
      const config = configOrExit();
      idOrExit(id);
      const hop = openNextHop({
        relay: config.relay, maildirRoot: mailRoot(config), poolSize: 1, timeoutMs: config.relayTimeoutMs, hostname: (config.smtpHostname ?? config.platformDomain).toLowerCase(),
      });
      try {
        const item = await failOnDomainError(() => withDatabase(config, ({ db }) => releaseQuarantine(db, config, cliContext(new Date()), id, hop)));
        console.log(`Released ${item.id}: delivered to ${item.recipients.join(', ')} through ${hop.description}.`);
      } finally {
        await hop.close();
      }
    });

  q.command('delete')
    .description('delete a held message (the record stays; recorded in the audit trail)')
    .argument('<id>', 'quarantine id')
    .action(async (id: string) => {
      const config = configOrExit();
      idOrExit(id);
      const item = await failOnDomainError(() => withDatabase(config, ({ db }) => deleteQuarantine(db, cliContext(new Date()), id)));
      console.log(`Deleted ${item.id}.`);
    });
}
