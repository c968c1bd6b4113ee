/**
 * Regenerates docs/system-schema.json from the zod schema in src/plan/system.ts, so the published
 * JSON Schema can never drift from what `plan` and `sweep` accept.
 * Run: node --import tsx scripts/gen-system-schema.ts
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { systemSchema } from '../src/plan/system.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'system-schema.json');
// The input side: defaults are optional in files, and the bit set is given as a list.
const schema = z.toJSONSchema(systemSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
const doc = {
  $id: 'https://coquant.invalid/schemas/system.json',
  title: 'coquant system description (plan, sweep)',
  description:
    'Agent and server processors, the link, the budgets T0/E0, allowed bit-widths and the model groups (SPEC §5). ' +
    'Cross-field rules not expressible here are checked by coquant: fMin ≤ fMax, either levels or fMin/fMax, ' +
    'unique group names, model groups xor profile, each split needs agentGroups or agentParams.',
  ...schema,
};
await writeFile(out, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${out}`);
