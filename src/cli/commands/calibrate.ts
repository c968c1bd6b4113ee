import type { Command } from 'commander';
import { parseBits } from '../../quant/spec.ts';
import { UsageError } from '../../errors.ts';
import { CALIB_FORMATS, DEFAULT_FAKE_BITS, type CalibFormat } from '../../calibrate/calib-formats.ts';
import type { DeviceProfile } from '../../plan/device-profile.ts';
import { inputFlags } from '../flags.ts';

function intArg(flag: string, min: number, max: number) {
  return (s: string): number => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${flag} ${s}: expected an integer in ${min}..${max}`);
    return v;
  };
}

function numArg(flag: string) {
  return (s: string): number => {
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UsageError(`${flag} ${s}: expected a positive number`);
    return v;
  };
}

function parseFormats(s: string): CalibFormat[] {
  const out = s.split(',').map((x) => x.trim()).filter(Boolean);
  for (const f of out) if (!(CALIB_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--formats: unknown format '${f}'`, `use some of ${CALIB_FORMATS.join(', ')}`);
  if (out.length === 0) throw new UsageError('--formats: empty list');
  return out as CalibFormat[];
}

/** `--bits`: the one grammar (quant/spec.ts), over the quantizers' 2..16. */
const parseBitsFlag = (s: string): number[] => parseBits(s);

const ms = (s: number) => (s * 1e3).toFixed(3);
const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(1)}%`);

export function formatProfile(p: DeviceProfile, outPath: string | null): string {
  const lines: string[] = [];
  lines.push(`device: ${p.name}`);
  lines.push(`host: ${p.host.cpuModel}, ${p.host.cores} core(s), ${p.host.nominalHz ? `${(p.host.nominalHz / 1e9).toFixed(2)} GHz` : 'clock unknown'}, onnxruntime intra-op threads ${p.host.intraOpThreads}`);
  lines.push(`sub-model: ${p.subModel.source}${p.subModel.headAt ? ` (head up to ${p.subModel.headAt})` : ''}, N = ${p.subModel.params.toLocaleString('en-US')} parameters; inputs: ${p.subModel.inputs}`);
  lines.push('');
  const head = ['format', 'bits', 'clock', 'median ms', 'p10 ms', 'p90 ms', 'MAD ms', '±CI', 'J/inf', 'runs', 'stop'];
  const body = p.rows.map((r) => [r.format, String(r.bits), r.hz ? `${(r.hz / 1e9).toFixed(2)} GHz` : 'current', ms(r.medianS), ms(r.p10S), ms(r.p90S), ms(r.madS), pct(r.ciHalfRel), r.joules === null ? '—' : r.joules.toPrecision(3), String(r.reps), r.stop]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => (i >= 3 && i <= 9 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ');
  lines.push(line(head), ...body.map(line));
  lines.push('');
  if (p.fit) {
    const f = p.fit;
    lines.push(`fit on ${f.formats.join(', ')} (fake is float execution and left out):`);
    lines.push(`  pure    T = c·b·N/f        c = ${f.cyclesPerParamBit.toPrecision(4)} cycles/param/bit   R² ${f.r2.toFixed(3)}   max rel. error ${pct(f.maxRelErr)}`);
    lines.push(`  affine  T = t0 + c·b·N/f   c = ${f.affine.cyclesPerParamBit.toPrecision(4)}   t0 = ${ms(f.affine.t0)} ms   R² ${f.affine.r2.toFixed(3)}   max rel. error ${pct(f.affine.maxRelErr)}`);
    lines.push(`  kappa: ${f.kappa === null ? 'not measured' : f.kappa.toPrecision(4)}`);
    lines.push(`  held out (${f.heldOut.method}): pure max ${pct(f.heldOut.pureMaxRelErr)} mean ${pct(f.heldOut.pureMeanRelErr)}; affine max ${pct(f.heldOut.affineMaxRelErr)} mean ${pct(f.heldOut.affineMeanRelErr)}`);
    for (const h of f.heldOut.points) lines.push(`    ${h.format} ${h.bits}-bit: measured ${ms(h.measuredS)} ms, pure ${ms(h.pureS)} (${pct(h.pureRelErr)}), affine ${ms(h.affineS)} (${pct(h.affineRelErr)})`);
  } else lines.push('no fitted model (see notes)');
  lines.push('');
  lines.push('could not measure / notes:');
  for (const n of p.measured.notes) lines.push(`  - ${n}`);
  if (outPath) lines.push('', `device profile written to ${outPath} (use: coquant plan --device-profile ${outPath})`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const cmd = program
    .command('calibrate')
    .summary('measure latency (and energy) against format, bit-width and clock; fit the SPEC §5 device model')
    .description(
      'Runs the agent sub-model (default: the bundled PP-OCRv4 recognition model; --head-at TENSOR takes the ' +
        'head of a split) as fp32, fake-quantized at each bit-width, qdq-int8 (integer kernels) and int4 ' +
        '(MatMulNBits), at every clock level when the CPU clock can be set. It times each with warm-up and ' +
        'interleaved repetitions until the median is stable, fits T = c·b·N/f (and κ where a power meter ' +
        'exists), and writes a coquant.device/1 profile that `coquant plan --device-profile` reads. ' +
        'Fake quantization runs float kernels: its latency does not depend on bits.',
    )
    .argument('[model]', 'ONNX model (default: bundled PP-OCRv4 rec)')
    .option('--head-at <tensor>', 'calibrate only the head of a split at this cut tensor (see coquant split)')
    .option('--formats <list>', `formats to run: ${CALIB_FORMATS.join(',')}`, parseFormats)
    .option('--bits <list>', `bit-widths for fake (2..16) and int4 (2,4,8), e.g. 2-8 or 4,8 (default ${DEFAULT_FAKE_BITS.join(',')})`, parseBitsFlag)
    .option('--reps <n>', 'maximum timed runs per row', intArg('--reps', 1, 100000), 300)
    .option('--min-reps <n>', 'minimum timed runs per row', intArg('--min-reps', 1, 100000), 10)
    .option('--warmup <n>', 'untimed runs per model first', intArg('--warmup', 0, 1000), 3)
    .option('--max-seconds <s>', 'time cap per row (seconds of its own runs)', numArg('--max-seconds'), 10)
    .option('--target-ci <x>', "stop a row when its median's 95% CI half-width / median is below this", numArg('--target-ci'), 0.02)
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)', intArg('--threads', 1, 1024))
    .option('--levels <n>', 'clock levels to sweep when the clock can be set', intArg('--levels', 1, 64), 4)
    .option('--sysfs <root>', 'sysfs root for clock control and power meters', '/sys')
    .option('--name <text>', 'device name in the profile')
    .option('--out <file>', 'device profile path', 'out/calibrate/device.json')
    .option('--json', 'print the device profile as one JSON document');
  inputFlags(cmd, { inputs: 'inputs instead of generated ones', dim: 'for models other than PP-OCR recognizers' });
  cmd
    .addHelpText('after', '\nExamples:\n  coquant calibrate --out device.json\n  coquant calibrate --formats fp32,qdq-int8 --max-seconds 5\n  coquant plan --device-profile device.json --bits 8,32 --profile profile.json')
    .action(async (model: string | undefined, o: Record<string, unknown>) => {
      // Loaded here, not at the top: `coquant --help` should not pay for onnxruntime and the format writers.
      const [{ runCalibration }, { parseDimFlags }, { progressBar }, { writeFileAtomic }] = await Promise.all([
        import('../../app/calibrate-command.ts'),
        import('../../data/random-inputs.ts'),
        import('../../util/progress.ts'),
        import('../../util/atomic-write.ts'),
      ]);
      process.stderr.write('calibrate: writing the model in each format (qdq-int8 calibrates activation ranges first)\n');
      let bar: ReturnType<typeof progressBar> | null = null;
      const { profile } = await runCalibration({
        modelPath: model,
        headAt: o.headAt as string | undefined,
        formats: o.formats as CalibFormat[] | undefined,
        bits: o.bits as number[] | undefined,
        maxReps: o.reps as number,
        minReps: o.minReps as number,
        warmup: o.warmup as number,
        maxSeconds: o.maxSeconds as number,
        targetCiRel: o.targetCi as number,
        intraOpThreads: o.threads as number | undefined,
        maxLevels: o.levels as number,
        sysRoot: o.sysfs as string,
        dims: parseDimFlags(o.dim as string[]),
        inputs: o.inputs as string[] | undefined,
        name: o.name as string | undefined,
        onProgress: (done, total, label) => {
          bar ??= progressBar(total, 'timing (rows finished)');
          bar.tick(1, label);
          if (done === total) bar.stop();
        },
      }).finally(() => bar?.stop());
      const out = o.out as string;
      await writeFileAtomic(out, `${JSON.stringify(profile, null, 2)}\n`);
      if (o.json) process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
      else process.stdout.write(`${formatProfile(profile, out)}\n`);
    });
}
