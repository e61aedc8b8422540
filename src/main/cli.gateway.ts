import type { Command } from 'commander';

/** CLI commands of the gateway capability (see the README for each). */
export function registerGatewayCommands(program: Command): void {
  void program;
}
