import type { Command } from 'commander';
import { cliContext } from '../platform/context.js';
import { csvLine } from '../platform/csv.js';
import { operatorResetReview, recoveryStatus, unlockVerification } from '../recovery/operator.commands.js';
import { REVIEW_CSV_HEADER, reviewCsvLine } from '../recovery/review.js';
import { configOrExit, failOnDomainError, withDatabase } from './cli.shared.js';

/**
 * recovery status / unlock / review. There is deliberately no reset command: a password
 * is reset only after a passed verification, in the console, the API or self-service.
 */
export function registerRecoveryCommands(program: Command): void {
  const recovery = program
    .command('recovery')
    .description('security questions and verified password resets (no command resets a password: resets need a passed verification in the console)');

  recovery
    .command('status')
    .description('show whether an account has security questions (their texts, never answers) and whether its verification is locked')
    .requiredOption('--email <address>', 'the account')
    .action(async (opts: { email: string }) => {
      const config = configOrExit();
      const s = await failOnDomainError(() => withDatabase(config, ({ db }) => recoveryStatus(db, cliContext(new Date()), opts.email)));
      console.log(`${s.email}`);
      console.log(s.questions.length ? `Security questions (set ${s.questionsSetAt}):\n${s.questions.map((q, i) => `  ${i + 1}. ${q}`).join('\n')}` : 'No security questions set.');
      console.log(s.lockedUntil ? `Verification LOCKED until ${s.lockedUntil}.` : `Verification not locked (${s.failures} recent failure${s.failures === 1 ? '' : 's'}).`);
    });

  recovery
    .command('unlock')
    .description('lift the verification lock of an account after failed attempts (audited)')
    .requiredOption('--email <address>', 'the account')
    .action(async (opts: { email: string }) => {
      const config = configOrExit();
      await failOnDomainError(() => withDatabase(config, ({ db }) => unlockVerification(db, cliContext(new Date()), opts.email)));
      console.log(`Verification of ${opts.email.trim().toLowerCase()} unlocked.`);
    });

  recovery
    .command('review')
    .description('print the reset review of an organisation as CSV (every reset in the period, with flags)')
    .requiredOption('--org <code>', 'organisation code')
    .option('--from <date>', 'first day, YYYY-MM-DD (UTC; default: the review interval ago)')
    .option('--to <date>', 'last day, YYYY-MM-DD (UTC; default: today)')
    .action(async (opts: { org: string; from?: string; to?: string }) => {
      const config = configOrExit();
      const r = await failOnDomainError(() => withDatabase(config, ({ db }) => operatorResetReview(db, cliContext(new Date()), config, { organisationCode: opts.org, from: opts.from, to: opts.to })));
      process.stdout.write(csvLine(REVIEW_CSV_HEADER));
      for (const row of r.rows) process.stdout.write(reviewCsvLine(row));
      process.stderr.write(`${r.rows.length} resets from ${r.period.from} to ${r.period.to}, ${r.rows.filter((x) => x.flags.length).length} flagged.\n`);
    });
}
