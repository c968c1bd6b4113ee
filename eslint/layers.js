/**
 * The layer order of src/, enforced by ESLint (rule `coquant/layers`): a module may import
 * from its own layer and the layers below it, never from a layer above. Folders not in the
 * table are an error, so a new folder has to be given a place. Dependencies flow one way:
 * infrastructure (ONNX core, onnxruntime boundary) → quantization and models → theory →
 * documents → engines → runtime → application → CLI.
 */
import { dirname, relative, resolve, sep } from 'node:path';

/** Lowest first. Each entry: [layer name, top-level entries of src/ (folders or files)]. */
export const LAYERS = [
  ['base', ['errors.ts', 'util']],
  ['infrastructure', ['io', 'ort', 'data', 'device', 'report']],
  ['models and quantizers', ['ocr', 'tasks', 'quant', 'graph']],
  ['theory', ['theory']],
  ['documents', ['documents']],
  ['engines', ['formats', 'profile', 'distortion', 'bounds', 'plan', 'synth']],
  ['runtime', ['runtime', 'calibrate']],
  ['application', ['app', 'coquant.ts', 'index.ts']],
  ['cli', ['cli']],
];

/**
 * Packages that only their boundary folders may import, so each outside dependency has one
 * place to change: onnxruntime only through src/ort/, ONNX protobuf only in the ONNX core and
 * the graph editors and generators.
 */
export const PACKAGE_OWNERS = {
  'onnxruntime-node': ['ort'],
  'onnx-proto': ['io', 'data', 'graph', 'formats', 'synth'],
  protobufjs: ['io', 'data', 'graph', 'formats', 'synth'],
};

/**
 * Known exceptions: [importing file, imported file or package, reason]. Each says why; the goal is none.
 */
export const EXCEPTIONS = [
  [
    'src/runtime/server/ort-worker.mjs',
    'onnxruntime-node',
    'the server runs onnxruntime in worker threads from a plain .mjs file, which loads without a TypeScript loader and so cannot import src/ort/session.ts',
  ],
];

const layerOf = new Map(LAYERS.flatMap(([name, entries], i) => entries.map((e) => [e, { index: i, name }])));

function srcEntry(srcRoot, file) {
  const rel = relative(srcRoot, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(sep)[0];
}

export const layersPlugin = {
  rules: {
    layers: {
      meta: { type: 'problem', docs: { description: 'src/ imports follow the layer order in eslint/layers.js' }, schema: [] },
      create(context) {
        const file = context.filename ?? context.getFilename();
        const srcRoot = resolve(context.cwd ?? process.cwd(), 'src');
        const from = srcEntry(srcRoot, file);
        if (!from) return {};
        const fromLayer = layerOf.get(from);
        const r = (p) => relative(resolve(srcRoot, '..'), p);
        const excepted = (b) => EXCEPTIONS.some(([a, x]) => a === r(file) && x === b);
        const check = (node, spec) => {
          if (typeof spec !== 'string') return;
          if (!spec.startsWith('.')) {
            const owners = PACKAGE_OWNERS[spec];
            if (owners && !owners.includes(from) && !excepted(spec)) {
              context.report({ node, message: `only src/{${owners.join(',')}} may import '${spec}'; use their API instead (eslint/layers.js PACKAGE_OWNERS)` });
            }
            return;
          }
          const target = resolve(dirname(file), spec);
          const to = srcEntry(srcRoot, target);
          if (!to) return;
          const toLayer = layerOf.get(to);
          if (!fromLayer || !toLayer) {
            context.report({ node, message: `src/${!fromLayer ? from : to} has no layer: add it to LAYERS in eslint/layers.js` });
            return;
          }
          if (toLayer.index <= fromLayer.index) return;
          if (excepted(r(target))) return;
          context.report({
            node,
            message: `src/${from} (layer ${fromLayer.index}: ${fromLayer.name}) must not import src/${to} (layer ${toLayer.index}: ${toLayer.name}); move the shared code down, or the caller up (eslint/layers.js)`,
          });
        };
        return {
          ImportDeclaration: (n) => check(n, n.source.value),
          ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
          ExportAllDeclaration: (n) => check(n, n.source.value),
          ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
        };
      },
    },
  },
};
