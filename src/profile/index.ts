/** Public profile API. */
export { profileModel, profileSource, assembleDocument, type ProfileHooks } from './engine.ts';
export { resolveOptions, specsFromFlags, defaultSpecs, DEFAULT_FAMILIES, type ProfileOptions } from './options.ts';
export { profileTensor, entryList, type TensorProfile, type Entry } from './tensor-profile.ts';
export type { ProfileDocument, ProfileGroup, ProfileDistortion } from '../documents/profile-document.ts';
