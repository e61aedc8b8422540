import type { Command } from 'commander';
import { runPasswordReminders } from '../reminders/reminders.job.js';
import { cliContext } from '../platform/context.js';
import { DomainError } from '../platform/errors/errors.js';
import { systemClock } from '../platform/clock.js';
import { createLogger } from '../platform/log/log.js';
import { ensureDkimKey } from '../platform/notify/dkim.js';
import { isOutboxStatus, OUTBOX_STATUSES, retryNotification, viewOutbox } from '../notifications/notifications.commands.js';
import { deliverDueNotifications } from '../platform/notify/runner.js';
import { listLocalSms } from '../platform/notify/sms.local.js';
import { smsProvider } from '../platform/notify/sms.js';
import { closeMailer } from '../platform/notify/mailer.js';
import { enqueueNotification } from '../platform/notify/outbox.js';
import { configOrExit, fail, withDatabase } from './cli.shared.js';

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

/** outbox list/retry/send/test, sms list, dkim show, reminders run. */
export function registerNotifyCommands(program: Command): void {
  const outbox = program.command('outbox').description('the notification outbox (email and SMS the platform sends)');
  outbox
    .command('list')
    .description('list notifications, newest first, with counts per status (never their content)')
    .option('--status <status>', `only this status: ${OUTBOX_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many rows (default 50, max 1000)', '50')
    .option('--json', 'one JSON object per line instead of a table')
    .action(async (opts: { status?: string; limit: string; json?: boolean }) => {
      const config = configOrExit();
      if (opts.status && !isOutboxStatus(opts.status)) fail(`--status must be one of: ${OUTBOX_STATUSES.join(', ')}`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) fail('--limit must be a positive whole number');
      const r = await withDatabase(config, ({ db }) => viewOutbox(db, cliContext(new Date()), { status: opts.status as never, limit }));
      if (opts.json) {
        for (const row of r.rows) console.log(JSON.stringify(row));
        return;
      }
      console.log(OUTBOX_STATUSES.map((s) => `${s}: ${r.counts[s]}`).join('  '));
      if (!r.rows.length) return console.log('No notifications.');
      console.log(`${pad('created', 24)} ${pad('status', 9)} ${pad('channel', 7)} ${pad('template', 28)} ${pad('to', 32)} tries  id / last error`);
      for (const n of r.rows) {
        console.log(`${pad(n.createdAt, 24)} ${pad(n.status, 9)} ${pad(n.channel, 7)} ${pad(n.template, 28)} ${pad(n.recipient, 32)} ${pad(String(n.attempts), 5)}  ${n.id}${n.lastError ? `  ${n.lastError}` : ''}`);
      }
    });
  outbox
    .command('retry')
    .description('put a failed notification back in the queue (audited)')
    .argument('<id>', 'notification id (from `outbox list --status failed`)')
    .action(async (id: string) => {
      const config = configOrExit();
      try {
        await withDatabase(config, ({ db }) => retryNotification(db, cliContext(new Date()), id));
        console.log(`Queued ${id} again; a running server sends it within seconds (or run \`postwarden outbox send\`).`);
      } catch (err) {
        if (err instanceof DomainError) fail(err.code === 'not_found' ? `no notification ${id}` : err.message);
        throw err;
      }
    });
  outbox
    .command('send')
    .description('send everything that is due now, once (what `serve` does every few seconds)')
    .action(async () => {
      const config = configOrExit();
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const total = { sent: 0, failed: 0, retried: 0, cancelled: 0 };
      await withDatabase(config, async ({ db }) => {
        for (;;) {
          const r = await deliverDueNotifications({ db, config, clock: systemClock, logger }, { limit: 100 });
          for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
          if (r.sent + r.failed + r.retried + r.cancelled < 100) break;
        }
      });
      closeMailer();
      console.log(`Sent ${total.sent}, will retry ${total.retried}, failed ${total.failed}, cancelled ${total.cancelled}.`);
    });

  outbox
    .command('test')
    .description('queue a test email (to an address) or text message (to a +44 number) through the real route, then send it')
    .requiredOption('--to <address or number>', 'an email address, or an E.164 mobile number such as +447400123456')
    .action(async (opts: { to: string }) => {
      const config = configOrExit();
      const sms = /^\+\d{8,15}$/.test(opts.to);
      if (!sms && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(opts.to)) fail('--to must be an email address or a number such as +447400123456');
      const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
      const reference = new Date().toISOString();
      const r = await withDatabase(config, async ({ db }) => {
        await db.transaction().execute((trx) => enqueueNotification(trx, config.secretKey, new Date(), { channel: sms ? 'sms' : 'email', template: 'notifications/test-message', to: opts.to, data: { reference } }));
        return deliverDueNotifications({ db, config, clock: systemClock, logger }, { limit: 100 });
      });
      closeMailer();
      console.log(r.sent ? `Sent a test ${sms ? 'text message' : 'email'} to ${opts.to} (reference ${reference}).` : 'Not sent yet: see `postwarden outbox list` for the error; it is retried.');
      if (!r.sent) process.exitCode = 1;
    });

  program
    .command('sms')
    .description('text messages')
    .command('list')
    .description('list the local SMS outbox of the embedded setup (<data dir>/sms-outbox), oldest first')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }) => {
      const config = configOrExit();
      const all = await listLocalSms(config);
      if (opts.json) return all.forEach((m) => console.log(JSON.stringify(m)));
      if (smsProvider(config) !== 'local') console.log('Note: GOV.UK Notify is configured; new messages go there, not here.');
      if (!all.length) return console.log('No text messages in the local SMS outbox.');
      for (const m of all) console.log(`${m.at}  ${m.to}\n  ${m.body.replace(/\n/g, '\n  ')}`);
    });

  program
    .command('dkim')
    .description('the platform\'s DKIM signing key')
    .command('show')
    .description('print the DNS TXT record to publish for the platform\'s DKIM key (creates the key if missing)')
    .action(() => {
      const config = configOrExit();
      const { key, created } = ensureDkimKey(config);
      if (created) console.log(`Created a DKIM key in ${config.dataDir}/dkim/.`);
      console.log(`${key.txtName}. IN TXT "${key.txtValue}"`);
    });

  program
    .command('reminders')
    .description('password-expiry reminders')
    .command('run')
    .description('queue the password-expiry reminders that are due now (what `serve` does every hour); idempotent')
    .action(async () => {
      const config = configOrExit();
      const r = await withDatabase(config, ({ db }) => runPasswordReminders({ db, config, clock: systemClock }));
      console.log(`Queued ${r.queued} reminder(s) (${r.scanned} account(s) looked at).`);
    });
}
