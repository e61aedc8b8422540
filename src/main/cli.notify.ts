import type { Command } from 'commander';

/** CLI commands of the notify capability (see the README for each). */
export function registerNotifyCommands(program: Command): void {
  void program;
}
