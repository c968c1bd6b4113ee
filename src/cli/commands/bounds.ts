import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';

export function register(program: Command): void {
  program
    .command('bounds')
    .description('(not available yet)')
    .action(() => {
      throw new UsageError("'bounds' is not available in this build yet");
    });
}
