import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';

export function register(program: Command): void {
  program
    .command('sweep')
    .description('(not available yet)')
    .action(() => {
      throw new UsageError("'sweep' is not available in this build yet");
    });
}
