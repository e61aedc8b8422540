import type { Command } from 'commander';

/** CLI commands of the reports capability (see the README for each). */
export function registerReportsCommands(program: Command): void {
  void program;
}
