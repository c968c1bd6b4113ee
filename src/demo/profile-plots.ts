/**
 * The profile figures for the demo report. Delegates to the profile command's plot code once it
 * is available; until then the report links the profile JSON only.
 */
import type { ProfileDocument } from '../profile/schema.ts';

export async function profilePlots(_doc: ProfileDocument, _out: string): Promise<Record<string, string>> {
  return {};
}
