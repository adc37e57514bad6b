// The guard's state as the protocol's model state (the status bar and the Retry action read it).
import { describeScoring, type LatentState } from '../latent';
import type { ModelState } from '../protocol/messages';

export function toModelState(state: LatentState): ModelState {
  switch (state.status) {
    case 'idle':
    case 'loading':
      return { state: 'loading' };
    case 'ready':
      return { state: 'ready', model: state.identity.modelName, graph: describeScoring(state.identity), ...(state.warnings.length ? { warnings: state.warnings } : {}) };
    case 'failed':
      // No model or no calibrated guard built: a setup step, not a crash.
      if (state.reason === 'missing' || state.reason === 'guard-missing') return { state: 'rules-only', reason: state.message };
      return { state: 'failed', reason: state.message };
  }
}

/** What the status bar shows when no guard is wired into this build. */
export const NO_GUARD_STATE: ModelState = { state: 'rules-only', reason: 'The latent guard is not part of this build; policy rules only.' };
