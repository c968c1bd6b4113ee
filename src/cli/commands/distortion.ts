import type { Command } from 'commander';
import type { DistortionCliOptions } from '../../app/distortion-command.ts';
import { dimFlag, textLineFlags } from '../flags.ts';

export function register(program: Command): void {
  const cmd = program
    .command('distortion')
    .summary('measure output distortion D_o against parameter distortion D_p with real forward passes')
    .description(
      'For each quantizer configuration and bit-width, fake-quantizes the model weights (float tensors of ' +
        'rank >= 2, initializers and Constant nodes) in an in-memory copy, runs the same calibration inputs ' +
        'through onnxruntime at full precision and quantized, and reports D_p, D_o, relative L2 and task quality ' +
        '(CTC text for PaddleOCR recognition models), then fits D_o ~ alpha*D_p per configuration (SPEC section 2). ' +
        'Without a model, uses the bundled PP-OCRv4 recognition model and 16 rendered, labelled text lines.',
    )
    .argument('[model]', 'ONNX model file (default: the bundled PP-OCRv4 recognition model)')
    .option('--inputs <path>', 'calibration inputs: a folder of images (PNG/JPEG, preprocessed with --preset), or tensors: a .npz (an array per input) or .npy file, a folder of them, or ONNX test_data_set_N folders of input_K.pb')
    .option('--npy <files...>', 'calibration tensors as .npy files (one sample each, for single-input models)')
    .option('--random <n>', 'n generated inputs following the model input spec (standard normal; see --seed, --dim)')
    .option('--families <list>', 'quantizer families: uniform-symmetric, uniform-asymmetric, pot, fp8-e4m3, fp8-e5m2', 'uniform-symmetric')
    .option('--bits <list>', 'bit-widths, e.g. 2-16 or 4,8 (fp8 families always use 8)', '2-16')
    .option('--granularity <list>', 'tensor, channel or groupN (comma-separated for several)', 'tensor')
    .option('--range <list>', 'absmax, clip-l1 or clip-mse (comma-separated for several)', 'absmax')
    .option('--preset <name>', 'image preprocessing: ppocr-rec or ppocr-det (default: guessed from the input shape)')
    .option('--all-float', 'quantize every float tensor (biases, norms too), not only rank >= 2')
    .option('--output <name>', 'model output to compare (default: the first)')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)')
    .option('--no-cache', 'do not read or write the full-precision output cache (.cache/distortion)')
    .option('--json', 'print the result document (docs/distortion-json.md) on stdout and nothing else')
    .option('--out <dir>', 'folder for distortion.json, fig3-distortion.svg and rendered lines', 'out/distortion')
    .option('--quiet', 'no progress bar');
  dimFlag(textLineFlags(cmd, { render: 'render n labelled text lines (PP-OCR recognition models); the default for them is 16', seed: 'seed for --random and --render' }));
  cmd
    .addHelpText(
      'after',
      `
Examples:
  coquant distortion                                          bundled PP-OCRv4 rec, 16 rendered lines, 2..16 bits
  coquant distortion --granularity tensor,channel --range absmax,clip-l1 --bits 2-8
  coquant distortion model.onnx --random 8 --dim p2o.DynamicDimension.0=1 --dim p2o.DynamicDimension.1=320
  coquant distortion rec.onnx --inputs lines/ --labels lines/labels.json --json > d.json`,
    )
    .action(async (modelArg: string | undefined, opts: DistortionCliOptions) => {
      // Loaded here, not at the top: `coquant --help` should not pay for onnxruntime, the OCR data and vega.
      const { runDistortionCli } = await import('../../app/distortion-command.ts');
      await runDistortionCli(modelArg, opts);
    });
}
