/**
 * What `coquant serve` writes to its log per request: nothing at info (the two lines per request
 * cost about 0.3 ms together and flood the log under load), fastify's request lines at debug.
 * The server's own failures (5xx) are still logged at every level (server.ts, the error handler).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient } from '../../src/runtime/client/inference-client.ts';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { TMP } from './helpers.ts';
import { makeIdentityModel } from './fixtures/tiny-models.ts';

/** Runs `f` with process.stderr captured (fastify's logger writes there). */
async function stderrOf(f: () => Promise<void>): Promise<string> {
  const write = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true; }) as typeof process.stderr.write;
  try { await f(); } finally { process.stderr.write = write; }
  return out;
}

describe('per-request log lines', () => {
  let srv: RunningServer | undefined;
  afterEach(async () => { await srv?.close(); srv = undefined; });
  const x = { name: 'feature', datatype: 'FP32' as const, shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) };

  for (const [level, wantLines] of [['info', false], ['debug', true]] as const) {
    it(`at ${level}: ${wantLines ? 'a line when a request comes in and when it is answered' : 'none, for answered requests and for a client\'s malformed one (a 400)'}`, async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      const log = await stderrOf(async () => {
        srv = await startServer({ models: [{ name: 'identity', path: makeIdentityModel(TMP) }], port: 0, logLevel: level, intraOpThreads: 1 });
        const c = new InferenceClient({ url: srv.url });
        for (let i = 0; i < 3; i++) await c.infer('identity', [x]);
        if (!wantLines) {
          expect((await fetch(`${srv.url}/v2/models/identity/infer`, { method: 'POST', body: '{"inputs":' })).status).toBe(400);
        }
      });
      expect((log.match(/incoming request/g) ?? []).length).toBe(wantLines ? 3 : 0);
      expect((log.match(/request completed/g) ?? []).length).toBe(wantLines ? 3 : 0);
      expect(log).toMatch(/Server listening/); // the logger itself is on
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      process.off('warning', onWarning);
      expect(warnings, 'no deprecation or other warning from the server\'s set-up').toEqual([]);
    });
  }
});
