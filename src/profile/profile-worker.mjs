// Plain-JS entry for profile worker threads: registers tsx in this thread, then loads the
// TypeScript worker, so workers run the same sources as the CLI with no build step.
import { register } from 'tsx/esm/api';

register();
await import('./profile-worker.ts');
