import type { Command } from 'commander';

/** CLI commands of the recovery capability (see the README for each). */
export function registerRecoveryCommands(program: Command): void {
  void program;
}
