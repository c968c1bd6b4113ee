/**
 * The emulated device's process: it holds onnxruntime sessions with one intra-op thread (one
 * robot core) and runs them on request. Its parent places it under CPU bandwidth control, so
 * everything it computes runs at the emulated clock.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCoquantError } from '../../errors.ts';
import { createSession, runFeed, type Session } from '../../ort/session.ts';
import type { HostReply, HostRequest } from './messages.ts';

const sessions = new Map<string, Session>();
const prefixes = new Map<string, string>();
const profileDir = mkdtempSync(join(tmpdir(), 'coquant-device-'));
let profiled = 0;

const send = (r: HostReply) => process.send?.(r);

async function handle(m: HostRequest): Promise<HostReply> {
  switch (m.t) {
    case 'load': {
      await sessions.get(m.key)?.release();
      const prefix = m.profile ? `p${profiled++}_` : undefined;
      if (prefix) prefixes.set(m.key, prefix);
      sessions.set(m.key, await createSession(m.model, { intraOpThreads: 1, label: m.key, profilePrefix: prefix ? join(profileDir, prefix) : undefined }));
      return { id: m.id, t: 'ok' };
    }
    case 'run': {
      const s = need(m.key);
      const t0 = performance.now();
      const outputs = await runFeed(s, m.feed, m.names);
      return { id: m.id, t: 'result', outputs, ms: performance.now() - t0 };
    }
    case 'end-profile': {
      const s = need(m.key);
      // onnxruntime-node returns nothing here; the file is <prefix>_<timestamp>.json.
      (s as unknown as { endProfiling(): unknown }).endProfiling();
      const prefix = prefixes.get(m.key);
      const file = prefix ? readdirSync(profileDir).find((f) => f.startsWith(prefix) && f.endsWith('.json')) : undefined;
      if (!file) throw new Error(`no profile was written for '${m.key}' (load it with profiling on)`);
      return { id: m.id, t: 'profile', file: join(profileDir, file) };
    }
    case 'release': {
      await sessions.get(m.key)?.release();
      sessions.delete(m.key);
      return { id: m.id, t: 'ok' };
    }
  }
}

function need(key: string): Session {
  const s = sessions.get(key);
  if (!s) throw new Error(`no session '${key}' on the device`);
  return s;
}

process.on('message', (m: HostRequest) => {
  handle(m).then(send, (e: unknown) =>
    send({ id: m.id, t: 'error', code: isCoquantError(e) ? e.code : 'E_DEVICE', message: e instanceof Error ? e.message : String(e), hint: isCoquantError(e) ? e.hint : undefined }),
  );
});
process.on('disconnect', () => {
  // The profiles were read by the parent; nothing in the folder is needed any more.
  rmSync(profileDir, { recursive: true, force: true });
  process.exit(0);
});
send({ id: 0, t: 'ok' });
