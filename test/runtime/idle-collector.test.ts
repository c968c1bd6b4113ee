/**
 * The server's idle collection (runtime/server/idle-collector.ts): it runs once after a quiet
 * spell that followed requests, never while requests keep arriving, and never without activity.
 * Its memory effect is measured by the server fuzz (RSS after the run, read idle).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/runtime/server/server.ts';
import { suiteTempDir } from '../io/fixtures.ts';
import { makeIdentityModel } from './fixtures/tiny-models.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle collection', () => {
  const tmp = suiteTempDir('coquant-idle-gc-');
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ models: [{ name: 'identity', path: makeIdentityModel(tmp.dir) }], port: 0, logLevel: 'silent', idleGcMs: 150, gcHeapGrowthPercent: 400 });
  });
  afterAll(async () => srv?.close());

  it('collects once per quiet spell after requests, not during a stream of requests, not without requests', async () => {
    expect(srv.idleCollections()).toBe(0);
    await fetch(`${srv.url}/v2/health/live`);
    await sleep(500);
    expect(srv.idleCollections()).toBe(1);
    await sleep(400); // quiet, and nothing new happened: no second collection
    expect(srv.idleCollections()).toBe(1);
    const t0 = performance.now();
    while (performance.now() - t0 < 600) {
      await fetch(`${srv.url}/v2/health/live`);
      await sleep(40); // gaps well below the 150 ms idle time
    }
    expect(srv.idleCollections()).toBe(1);
    await sleep(500);
    expect(srv.idleCollections()).toBe(2);
  });

  it('is off when the heap growth is V8 own (nothing to collect back) or idleGcMs is 0', async () => {
    const a = await startServer({ models: [{ name: 'identity', path: makeIdentityModel(tmp.dir) }], port: 0, logLevel: 'silent', idleGcMs: 100, gcHeapGrowthPercent: 0 });
    const b = await startServer({ models: [{ name: 'identity', path: makeIdentityModel(tmp.dir) }], port: 0, logLevel: 'silent', idleGcMs: 0, gcHeapGrowthPercent: 400 });
    try {
      await fetch(`${a.url}/v2/health/live`);
      await fetch(`${b.url}/v2/health/live`);
      await sleep(400);
      expect(a.idleCollections()).toBe(0);
      expect(b.idleCollections()).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
