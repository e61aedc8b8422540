import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { cliContext } from '../platform/context.js';
import { createBlockRulesFor, liftBlockRuleFor, listBlockRulesFor } from '../reports/blocks.commands.js';
import { submitToCertFor } from '../reports/cert.commands.js';
import { ingestReport } from '../reports/reports.commands.js';
import { isBlockKind, isVerdict, SAMPLE_STATUSES, type SampleStatus } from '../reports/reports.js';
import { getSampleFor, listQueueFor, setVerdictFor } from '../reports/triage.commands.js';
import { configOrExit, fail, failOnDomainError, withDatabase } from './cli.shared.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
function ids(list: string[]): string[] {
  for (const id of list) if (!UUID.test(id)) fail(`not a sample id: ${id}`, 2);
  return list;
}

/** reports ingest, list, show, verdict, submit, block add/list/lift. */
export function registerReportsCommands(program: Command): void {
  const reports = program.command('reports').description('phishing reports: intake, CSOC queue, CERT submissions, block rules');

  reports
    .command('ingest')
    .description('take a report from a file into the report store, as mail to the reporting address would be (or, with --direct, the file is the reported message itself: .eml or .msg)')
    .argument('<file>', 'the report message (RFC 822), or with --direct the reported message')
    .requiredOption('--from <address>', 'the reporter\'s address')
    .option('--direct', 'the file is the suspicious message itself, not a report that attaches it')
    .action(async (file: string, opts: { from: string; direct?: boolean }) => {
      const config = configOrExit();
      const raw = readFileSync(file);
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const r = await ingestReport(db, config, cliContext(new Date()), raw, {
          via: 'api', reporterAddress: opts.from.trim().toLowerCase(), reporterAccountId: null, remoteAddress: null, direct: !!opts.direct, filename: opts.direct ? file : null,
        });
        process.stdout.write(`report ${r.reportId} (${r.kind}${r.headersLost ? ', headers lost' : ''}): ${r.samples.map((s) => `${s.id} sha256 ${s.sha256}${s.duplicate ? ' (seen before)' : ''}`).join('; ')}\n`);
        for (const p of r.problems) process.stderr.write(`note: ${p}\n`);
      }));
    });

  reports
    .command('list')
    .description('the CSOC queue, newest first (tab-separated: id, first reported, status, verdict, reports, sender, subject)')
    .option('--status <status>', `one of ${SAMPLE_STATUSES.join(', ')}, or any`, 'new')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: { status: string; limit: string }) => {
      if (opts.status !== 'any' && !(SAMPLE_STATUSES as readonly string[]).includes(opts.status)) fail(`--status must be one of ${SAMPLE_STATUSES.join(', ')}, any`, 2);
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const { items } = await listQueueFor(db, cliContext(new Date()), { status: opts.status === 'any' ? undefined : (opts.status as SampleStatus), limit: Number(opts.limit) || 50 });
        for (const s of items) {
          process.stdout.write([s.id, s.first_reported_at, s.status, s.verdict ?? '-', s.report_count, s.from_address ?? '-', s.subject.replace(/[\t\r\n]/g, ' ')].join('\t') + '\n');
        }
      }));
    });

  reports
    .command('show')
    .description('one reported message: its indicators and who reported it, as JSON')
    .argument('<sample-id>')
    .action(async (id: string) => {
      ids([id]);
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const d = await getSampleFor(db, cliContext(new Date()), id);
        const { indicators, reporters, campaign } = d;
        process.stdout.write(JSON.stringify({ id, sha256: d.sample.sha256, status: d.sample.status, verdict: d.sample.verdict, campaign: campaign?.label ?? null, indicators, reporters }, null, 2) + '\n');
      }));
    });

  reports
    .command('verdict')
    .description('record a verdict (phishing, spam or legitimate) on reported messages; their reporters are emailed')
    .argument('<sample-ids...>')
    .requiredOption('--verdict <verdict>', 'phishing, spam or legitimate')
    .action(async (list: string[], opts: { verdict: string }) => {
      if (!isVerdict(opts.verdict)) fail('--verdict must be phishing, spam or legitimate', 2);
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const done = await setVerdictFor(db, config, cliContext(new Date()), ids(list), opts.verdict as 'phishing');
        process.stdout.write(`${done.length} message(s) marked ${opts.verdict}\n`);
      }));
    });

  reports
    .command('submit')
    .description('email reported messages, unmodified, to the CERT address (POSTWARDEN_REPORT_CERT_ADDRESS); refuses a sample already submitted unless --force')
    .argument('<sample-ids...>')
    .option('--arf', 'add an RFC 5965 feedback report (Feedback-Type: fraud) per sample')
    .option('--force', 'submit again a sample that was already submitted')
    .action(async (list: string[], opts: { arf?: boolean; force?: boolean }) => {
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const r = await submitToCertFor(db, config, cliContext(new Date()), { sampleIds: ids(list), arf: opts.arf, force: opts.force });
        if (!r.sent) fail(`sending to ${r.submission.to_address} failed: ${r.submission.error ?? 'unknown error'} (recorded as submission ${r.submission.id}; the samples count as not submitted)`);
        process.stdout.write(`submission ${r.submission.id} sent to ${r.submission.to_address} (${r.submission.message_id})\n`);
      }));
    });

  const block = reports.command('block').description('block rules the gateway applies (quarantine matching inbound mail)');
  block
    .command('add')
    .description('add a block rule (audited; every gateway applies it within seconds)')
    .requiredOption('--kind <kind>', 'sender-address, sender-domain or url-domain')
    .requiredOption('--value <value>', 'the address or domain')
    .option('--days <n>', 'days until it expires (0: until lifted; default POSTWARDEN_REPORT_BLOCK_DAYS)')
    .option('--reason <text>', 'why', 'added from the command line')
    .action(async (opts: { kind: string; value: string; days?: string; reason: string }) => {
      if (!isBlockKind(opts.kind)) fail('--kind must be sender-address, sender-domain or url-domain', 2);
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const made = await createBlockRulesFor(db, config, cliContext(new Date()), {
          rules: [{ kind: opts.kind as 'url-domain', value: opts.value }], days: opts.days === undefined ? undefined : Number(opts.days), reason: opts.reason,
        });
        process.stdout.write(made.length ? `block rule ${made[0]!.id}: ${made[0]!.kind} ${made[0]!.value} until ${made[0]!.expires_at ?? 'lifted'}\n` : 'that rule is already in force; nothing added\n');
      }));
    });
  block
    .command('list')
    .description('block rules in force (tab-separated: id, kind, value, until, made by); --all includes lifted and expired ones')
    .option('--all', 'include lifted and expired rules')
    .action(async (opts: { all?: boolean }) => {
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        for (const r of await listBlockRulesFor(db, cliContext(new Date()), { all: opts.all, limit: 1000 })) {
          process.stdout.write([r.id, r.kind, r.value, r.lifted_at ? `lifted ${r.lifted_at}` : r.expires_at ?? 'until lifted', r.created_by_email].join('\t') + '\n');
        }
      }));
    });
  block
    .command('lift')
    .description('lift a block rule (audited; every gateway stops applying it within seconds)')
    .argument('<rule-id>')
    .action(async (id: string) => {
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        await liftBlockRuleFor(db, cliContext(new Date()), ids([id])[0]!);
        process.stdout.write(`block rule ${id} lifted\n`);
      }));
    });
}
