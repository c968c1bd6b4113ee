import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';

export function register(program: Command): void {
  program
    .command('calibrate')
    .description('(not available yet)')
    .action(() => {
      throw new UsageError("'calibrate' is not available in this build yet");
    });
}
