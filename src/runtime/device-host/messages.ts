/** The messages between the agent process and its emulated device process (structured clone over IPC). */
import type { Feed, HostTensor } from '../../data/tensor.ts';

export type HostRequest =
  | { id: number; t: 'load'; key: string; model: Uint8Array | string; profile?: boolean }
  | { id: number; t: 'run'; key: string; feed: Feed; names?: string[] }
  | { id: number; t: 'end-profile'; key: string }
  | { id: number; t: 'release'; key: string };

export type HostReply =
  | { id: number; t: 'ok' }
  | { id: number; t: 'result'; outputs: Record<string, HostTensor>; ms: number }
  | { id: number; t: 'profile'; file: string }
  | { id: number; t: 'error'; code: string; message: string; hint?: string };
