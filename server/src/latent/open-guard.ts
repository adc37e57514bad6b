// The guard file as the runtime opens it: read and parsed (missing or invalid: ModelUnavailableError),
// checked against the model it will run on, and the depth its score reads.
import * as fs from 'node:fs';
import { sha256Text } from './file-hashes';
import { GuardFileError, type GuardFile } from './guard-file';
import { ModelUnavailableError, type ModelFiles } from './model-files';
import { defaultGuardPath } from './model-paths';
import { parseGuardFile } from './parse-guard-file';

/** Reads and parses latent-guard.json (default: $LATENT_LINT_GUARD, else models/latent-guard.json), with its text's sha256. */
export function readGuardFile(guardPath = defaultGuardPath()): { guard: GuardFile; sha256: string } {
  if (!guardPath || !fs.existsSync(guardPath)) {
    throw new ModelUnavailableError('guard-missing', `the calibrated guard models/latent-guard.json is missing (run \`npm run calibrate\`)`);
  }
  const text = fs.readFileSync(guardPath, 'utf8');
  try {
    return { guard: parseGuardFile(text, guardPath), sha256: sha256Text(text) };
  } catch (error) {
    if (error instanceof GuardFileError) throw new ModelUnavailableError('guard-invalid', error.message);
    throw error;
  }
}

/**
 * Refuses a guard calibrated for another model (its shape, tokenizer or system prompt: positions
 * would be wrong); returns a warning when the graph is not one it was calibrated on (scores may drift).
 */
export function checkGuardFits(guard: GuardFile, files: ModelFiles, systemPrompt: string | null): string | undefined {
  const config = files.config;
  const mismatch = (what: string): never => {
    throw new ModelUnavailableError('guard-mismatch', `latent-guard.json was calibrated for a different model (${what}); re-run calibration`);
  };
  if (guard.model.nLayers !== config.n_layers || guard.model.hiddenSize !== config.hidden_size) {
    mismatch(`${guard.model.nLayers} layers × ${guard.model.hiddenSize} vs ${config.n_layers} × ${config.hidden_size}`);
  }
  if (guard.model.tokenizerSha256 !== files.tokenizerSha256) mismatch('tokenizer.json differs');
  if (guard.prompt.systemPrompt !== systemPrompt) mismatch('the chat template system prompt differs');
  const graphs = [guard.model.graphSha256, ...(guard.model.compatibleGraphSha256 ?? [])];
  if (graphs.includes(files.graphSha256)) return undefined;
  return `the ${files.graph} graph (${files.graphSha256.slice(0, 12)}) is not the one latent-guard.json was calibrated on; scores may drift`;
}

/** The deepest resid layer the guard's score reads (detector, concepts, baseline, refusal rule, categories). */
export function layersRead(guard: GuardFile): number {
  const probes = [...(guard.detector.probes ?? []), ...(guard.concepts ?? []).flatMap((concept) => concept.probes)].map((probe) => probe.layer);
  return Math.max(...guard.detector.layers, ...probes, ...guard.baseline.layers, ...guard.refusalSuppressed.layers, guard.categories?.layer ?? 0);
}
