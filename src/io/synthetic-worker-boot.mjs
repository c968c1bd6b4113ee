// Worker bootstrap: worker threads do not inherit the tsx loader, so register it here, then
// load the TypeScript worker. Kept as plain JS because it must run before any loader exists.
import { register } from 'tsx/esm/api';

register();
await import('./synthetic-worker.ts');
