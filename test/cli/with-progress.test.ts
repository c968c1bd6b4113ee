/**
 * A progress bar is stopped however the work ends: one left running on an error kept its timer
 * alive, and `coquant options` printed its error and never exited.
 */
import { describe, expect, it } from 'vitest';
import { withProgress } from '../../src/cli/with-progress.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('withProgress', () => {
  it('stops the bar (and its timer) when the work throws, and when it returns', async () => {
    const before = timers();
    await expect(
      withProgress('work', {}, async (tick) => {
        tick(1, 10, 'first');
        expect(timers()).toBeGreaterThan(before); // the bar's redraw timer runs meanwhile
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(timers()).toBe(before);
    expect(await withProgress('work', {}, async (tick) => (tick(1, 2), tick(2, 2), 7))).toBe(7);
    expect(timers()).toBe(before);
  });
});
