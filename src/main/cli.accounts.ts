import { createWriteStream, type WriteStream } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { listCasesFor } from '../compromise/compromise.case.commands.js';
import { markCompromised } from '../compromise/compromise.commands.js';
import { escalateOverdueCases } from '../compromise/compromise.escalation.js';
import { findOrganisationByCode } from '../directory/directory.repo.js';
import { mobileRuleOf, sweepReportFor } from '../phones/phones.commands.js';
import { checkMobile } from '../phones/phones.js';
import { continueSweep, countSweepAccounts, openSweepRun } from '../phones/phones.sweep.js';
import { cliContext, type Ctx } from '../platform/context.js';
import { configOrExit, fail, failOnDomainError, withDatabase } from './cli.shared.js';

interface SweepFlags { dryRun?: boolean; apply?: boolean; org?: string; out?: string; batch?: string; new?: boolean; quiet?: boolean; crashAfterBatch?: string }

async function sweep(opts: SweepFlags): Promise<void> {
  if (Boolean(opts.dryRun) === Boolean(opts.apply)) fail('say --dry-run (list the accounts) or --apply (disable them)', 2);
  const batch = opts.batch === undefined ? undefined : Number(opts.batch);
  if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 20_000)) fail('--batch must be a whole number from 1 to 20000', 2);
  const crashAfter = opts.crashAfterBatch === undefined ? undefined : Number(opts.crashAfterBatch);
  const config = configOrExit();
  const ctx = cliContext(new Date());
  await failOnDomainError(() => withDatabase(config, async ({ db }) => {
    const { run, resumed } = await openSweepRun(db, ctx, config, { mode: opts.apply ? 'apply' : 'dry-run', organisationCode: opts.org, fresh: opts.new });
    process.stderr.write(resumed
      ? `Resuming ${run.mode} sweep ${run.id} (${run.checked} accounts already checked).\n`
      : `Started ${run.mode} sweep ${run.id}.\n`);
    const total = await countSweepAccounts(db, ctx, run);
    const bar = process.stderr.isTTY && !opts.quiet
      ? new SingleBar({ format: 'sweep |{bar}| {percentage}% · {value}/{total} accounts · {failing} not UK mobiles · ETA {eta}s', stream: process.stderr }, Presets.shades_classic)
      : undefined;
    bar?.start(Math.max(total, 1), Math.min(run.checked, total), { failing: run.failing });
    const done = await continueSweep(db, ctx, config, run.id, {
      batchSize: batch,
      clock: { now: () => new Date() },
      onBatch: (p) => bar?.update(Math.min(p.checked, total), { failing: p.failing }),
      afterBatch: (n) => {
        // Test hook (hidden): die like a killed process would, mid-run.
        if (crashAfter !== undefined && n >= crashAfter) process.kill(process.pid, 'SIGKILL');
      },
    });
    bar?.update(Math.min(done.checked, total));
    bar?.stop();
    if (opts.out || done.mode === 'dry-run') {
      const file: WriteStream | undefined = opts.out ? createWriteStream(opts.out, { mode: 0o600 }) : undefined;
      const out: NodeJS.WritableStream = file ?? process.stdout;
      for await (const chunk of sweepReportFor(db, ctx, done.id)) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      if (file) {
        await new Promise<void>((resolve, reject) => {
          file.once('error', reject);
          file.end(() => resolve());
        });
      }
    }
    const summary = `${done.mode} sweep ${done.id}: ${done.checked} accounts with a number checked, ${done.failing} not allowed UK mobiles` +
      (done.mode === 'apply' ? `, ${done.disabled} disabled (their Local Administrators notified)` : '') + (opts.out ? `; report in ${opts.out}` : '') + '\n';
    (done.mode === 'dry-run' && !opts.out ? process.stderr : process.stdout).write(summary);
  }));
}

/** phones sweep, phones check, compromise mark, compromise cases, compromise escalate. */
export function registerAccountsCommands(program: Command): void {
  const phones = program.command('phones').description('UK-only mobile numbers');
  phones
    .command('sweep')
    .description('find accounts whose mobile number is not an allowed UK mobile; --dry-run prints the CSV report, --apply disables them, ' +
      'signs them out and tells their Local Administrators. Resumes an interrupted run of the same kind and organisation')
    .option('--dry-run', 'list the accounts (CSV on standard output: organisation, account, number as stored, why, action)')
    .option('--apply', 'disable the accounts, end their sessions, send each organisation\'s LAs one digest, audit everything')
    .option('--org <code>', 'only this organisation')
    .option('--out <file>', 'write the CSV report to this file (created mode 0600)')
    .option('--batch <n>', 'accounts per transaction (default 5000)')
    .option('--new', 'start a new run even if an interrupted one exists')
    .option('-q, --quiet', 'no progress bar')
    .addOption(new Option('--crash-after-batch <n>', 'test only: kill this process after n batches').hideHelp())
    .action((opts: SweepFlags) => sweep(opts));

  phones
    .command('check <number>')
    .description('say whether a number may be registered (the same rule as everywhere else), and its E.164 form')
    .action((number: string) => {
      const r = checkMobile(number, mobileRuleOf(configOrExit()));
      if (r.ok) console.log(`${r.e164}: allowed (${r.region})`);
      else fail(r.message);
    });

  const compromise = program.command('compromise').description('compromised accounts');
  compromise
    .command('mark')
    .description('mark an account compromised: sessions and API tokens revoked, password change and MFA required, a case opened, its LAs notified')
    .requiredOption('--email <address>', 'the account')
    .requiredOption('--reason <text>', 'why (the Local Administrators see it)')
    .requiredOption('--evidence <reference>', 'evidence reference, e.g. the CSOC incident number')
    .option('--invalidate-password', 'also stop the current password working (the user then needs a verified helpdesk reset)')
    .action(async (opts: { email: string; reason: string; evidence: string; invalidatePassword?: boolean }) => {
      const config = configOrExit();
      const r = await failOnDomainError(() => withDatabase(config, ({ db }) =>
        markCompromised(db, cliContext(new Date()), config, { email: opts.email, reason: opts.reason, evidenceRef: opts.evidence, invalidatePassword: opts.invalidatePassword })));
      console.log(`Marked ${opts.email} compromised: case ${r.caseId}; ${r.sessions} session(s) and ${r.tokens} API token(s) revoked; ` +
        `${r.devices} device(s) to scan; ${r.notified} Local Administrator(s) notified.`);
    });

  compromise
    .command('cases')
    .description('list compromised-account cases with their age (open by default, oldest first); escalated ones are marked')
    .option('--closed', 'closed cases instead, newest first')
    .option('--org <code>', 'only this organisation')
    .action(async (opts: { closed?: boolean; org?: string }) => {
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, async ({ db }) => {
        const ctx: Ctx = cliContext(new Date());
        const org = opts.org ? await findOrganisationByCode(db, opts.org.toUpperCase()) : undefined;
        if (opts.org && !org) fail(`No organisation with code ${opts.org.toUpperCase()}`);
        const cases = await listCasesFor(db, ctx, { status: opts.closed ? 'closed' : 'open', organisationId: org?.id, escalationHours: config.compromiseEscalationHours, limit: 1000 });
        if (!cases.length) console.log(`No ${opts.closed ? 'closed' : 'open'} cases.`);
        for (const c of cases) console.log(`${c.id}  ${c.email}  ${c.organisationName}  ${opts.closed ? `closed ${c.closedAt}` : `open ${c.age}`}${c.overdue ? '  ESCALATED' : ''}`);
      }));
    });

  compromise
    .command('escalate')
    .description('escalate cases open longer than POSTWARDEN_COMPROMISE_ESCALATION_HOURS and remind their LAs (serve runs this itself)')
    .action(async () => {
      const config = configOrExit();
      const r = await withDatabase(config, ({ db }) => escalateOverdueCases(db, { ...cliContext(new Date()), via: 'system' }, config));
      console.log(`${r.escalated} case(s) escalated, ${r.reminded} reminder(s) sent.`);
    });
}
