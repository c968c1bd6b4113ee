// Child-process bootstrap for the emulated device: register the tsx loader (a forked process
// does not inherit it), then load the TypeScript host.
import { register } from 'tsx/esm/api';

register();
await import('./host-main.ts');
