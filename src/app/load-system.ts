/**
 * The planner's only I/O: reads a system description (JSON or YAML), a profile document for the
 * model's groups, composes presets and command-line overrides, and validates the result.
 * Everything after this is pure math on a PlanProblem.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { parseProfile } from '../documents/profile-document.ts';
import { CoquantError, UsageError } from '../errors.ts';
import { applyDeviceProfile, readDeviceProfile, type DeviceProfile } from '../plan/device-profile.ts';
import { composeSystem, PRESET_NAMES, PRESETS } from '../plan/presets.ts';
import { toProblem, type DesignOptions, type PlanProblem } from '../plan/problem.ts';
import { parseSystem, type SystemDescription } from '../plan/system.ts';

export interface SystemOptions {
  system?: string;
  preset?: string;
  agent?: string;
  server?: string;
  profile?: string;
  T0?: number;
  E0?: number;
  epsilon?: number;
  bits?: number[];
  perGroup?: boolean;
  /** Quantize the server part at this bit-width. */
  serverBits?: number;
  /** A `coquant calibrate` device profile: its fitted constants replace the agent's. */
  deviceProfile?: string;
  /** Objective, bound and energy scope (`--objective`, `--bound`, `--energy`). */
  design?: DesignOptions;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CoquantError('E_NOT_FOUND', `${what} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`}`);
  }
}

/** Parses JSON or YAML text; the error names the file and, where known, the line. */
export function parseDescriptionText(text: string, path: string): unknown {
  if (/\.json$/i.test(path)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CoquantError('E_SYSTEM', `${path}: not valid JSON (${(e as Error).message})`);
    }
  }
  try {
    return YAML.parse(text);
  } catch (e) {
    throw new CoquantError('E_SYSTEM', `${path}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
}

export interface ProfileGroupsInput {
  groups: Array<{ name: string; params: number; lambda: number }>;
  skipped: number;
}

/** Groups (name, params, lambda) from a `coquant profile --json` document. */
export function groupsFromProfile(doc: unknown, path: string): ProfileGroupsInput {
  const p = parseProfile(doc, path);
  const groups: ProfileGroupsInput['groups'] = [];
  let skipped = 0;
  for (const g of p.groups) {
    if (!(g.params > 0)) {
      skipped++;
      continue;
    }
    // An all-zero tensor has lambda = +∞: no distortion at any bit-width; keep its workload.
    const lambda = Number.isFinite(g.lambda) && g.lambda > 0 ? Math.min(g.lambda, 1e12) : 1e12;
    groups.push({ name: g.name, params: g.params, lambda });
  }
  if (groups.length === 0) throw new CoquantError('E_PROFILE', `${path}: no groups with parameters`);
  return { groups, skipped };
}

function preset(name: string, flag: string) {
  const p = PRESETS[name];
  if (!p) throw new UsageError(`${flag} ${name}: unknown preset`, `presets: ${PRESET_NAMES.join(', ')}`);
  return p as Record<string, unknown>;
}

export interface LoadedSystem {
  system: SystemDescription;
  problem: PlanProblem;
  /** Where the description came from, for the summary. */
  origin: string;
  notes: string[];
  /** The device profile read with --device-profile (its measured table may drive the plan). */
  deviceProfile?: DeviceProfile;
}

/** Builds the system from presets, a file and overrides (in that order), then validates it. */
export async function loadSystem(o: SystemOptions): Promise<LoadedSystem> {
  const notes: string[] = [];
  let raw: Record<string, unknown> = {};
  const origin: string[] = [];
  let baseDir = process.cwd();
  if (o.preset || !o.system) {
    raw = composeSystem(raw, preset(o.preset ?? 'paper', '--preset'));
    origin.push(`preset ${o.preset ?? 'paper'}`);
  }
  if (o.system) {
    const text = await readText(o.system, 'system description');
    const doc = parseDescriptionText(text, o.system);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CoquantError('E_SYSTEM', `${o.system}: the top level must be an object`);
    raw = composeSystem(raw, doc as Record<string, unknown>);
    origin.push(o.system);
    baseDir = dirname(resolve(o.system));
  }
  if (o.agent) {
    raw = composeSystem(raw, preset(o.agent, '--agent'));
    origin.push(`agent ${o.agent}`);
  }
  if (o.server) {
    raw = composeSystem(raw, preset(o.server, '--server'));
    origin.push(`server ${o.server}`);
  }
  if ((o.agent || o.server) && typeof raw.label === 'string') {
    raw.label = `devices from presets (${[o.agent, o.server].filter(Boolean).join(', ')}); model and budgets from: ${raw.label}`;
  }
  const constraints: Record<string, unknown> = {};
  if (o.T0 !== undefined) constraints.T0 = o.T0;
  if (o.E0 !== undefined) constraints.E0 = o.E0;
  if (o.epsilon !== undefined) constraints.epsilon = o.epsilon;
  const over: Record<string, unknown> = { constraints };
  if (o.bits) over.bits = o.bits;
  if (o.perGroup) over.agentBits = 'per-group';
  if (o.serverBits !== undefined) over.server = { ...(raw.server as object), quantized: true, bits: o.serverBits };
  raw = composeSystem(raw, over);
  let profilePath = o.profile;
  const model = raw.model as Record<string, unknown> | undefined;
  if (!profilePath && model && typeof model.profile === 'string') profilePath = resolve(baseDir, model.profile);
  if (profilePath) {
    const text = await readText(profilePath, 'profile');
    const { groups, skipped } = groupsFromProfile(parseDescriptionText(text, profilePath.endsWith('.json') ? profilePath : `${profilePath}.json`), profilePath);
    if (skipped) notes.push(`${skipped} profile group(s) without parameters skipped`);
    // The profile's groups replace the preset's illustrative ones. With --profile the whole model is
    // the profile's (all on the agent unless splits say otherwise); a file's model.profile keeps its other fields.
    const m: Record<string, unknown> = o.profile ? { alpha: model?.alpha ?? 1 } : { ...model };
    delete m.profile;
    m.groups = groups;
    raw = { ...raw, model: m };
    if (o.profile) raw.label = `${raw.label ?? 'system'} + profile ${o.profile}`;
    origin.push(`profile ${profilePath}`);
  }
  let deviceProfile: DeviceProfile | undefined;
  if (o.deviceProfile) {
    deviceProfile = await readDeviceProfile(o.deviceProfile);
    raw = applyDeviceProfile(raw, deviceProfile, notes);
    origin.push(`device profile ${o.deviceProfile}`);
  }
  const parsed = parseSystem(raw);
  if (!parsed.ok) {
    const where = o.system ?? `preset ${o.preset ?? 'paper'}`;
    throw new CoquantError('E_SYSTEM', `invalid system description (${where}): ${parsed.errors[0]}${parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more: ${parsed.errors.slice(1, 4).join('; ')})` : ''}`);
  }
  return { system: parsed.value, problem: toProblem(parsed.value, o.design), origin: origin.join(' + '), notes, ...(deviceProfile ? { deviceProfile } : {}) };
}
