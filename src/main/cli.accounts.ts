import type { Command } from 'commander';

/** CLI commands of the accounts capability (see the README for each). */
export function registerAccountsCommands(program: Command): void {
  void program;
}
