// The latent guard's public surface for the CLI and the language server.
export { createLatentGuard, thresholdIn, type ExplainContext, type LatentGuard, type LatentGuardOptions, type LatentGuardSettings } from './latent-guard';
export { ModelUnavailableError } from './model-files';
export { HARMFUL_REQUEST, INJECTION, JAILBREAK, REFUSAL_SUPPRESSED } from './scorer';
export type { UnitScore } from './signals';
export { SCREEN_EXACT_FROM } from './screen';
export { surprisalFlagged } from './surprisal';
export { describeScoring, type LatentState } from './types';
