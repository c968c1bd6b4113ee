/** `quantize --range`: an unknown range method is a usage error (exit 2) before any work is done. */
import { describe, expect, it } from 'vitest';
import { quantizeFormatCli } from '../../src/app/quantize-format-command.ts';
import { UsageError } from '../../src/errors.ts';

describe('quantize --range', () => {
  it('rejects an unknown method with a hint naming the valid ones', async () => {
    const e = await quantizeFormatCli('no-such-model.onnx', { format: 'qdq-int8', blockSize: '64', calib: '2', dim: [], range: 'p99' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).hint).toContain('percentile');
    expect((e as UsageError).exitCode).toBe(2);
  });
});
