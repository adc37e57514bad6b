// The explain request's forward pass: the unit scored as the diagnostic was (same windows, probes,
// positions), the window that carried the score read again on the same graph and prefix cache at
// every user token and at t_post-inst, and the mediation graph's ablations when the build has one.
// The arithmetic is explain.ts's and mediation.ts's; this only runs the model.
import { buildExplanation } from './explain';
import type { GuardFile } from './guard-file';
import type { LatentModel } from './model';
import { layersRead } from './open-guard';
import type { LatentRuntime } from './runtime';
import type { LatentExplanation } from './types';

/**
 * Everything the explorer shows for one text, from what scored it: the unit is scored as the
 * diagnostic was (same windows, probes, positions), and the window that carried the score runs
 * again on the same graph and prefix cache, read at every user token and at t_post-inst.
 */
export async function explainText(runtime: LatentRuntime, guard: GuardFile, text: string): Promise<LatentExplanation> {
  const started = performance.now();
  // fp32 throughout (never the int8 screen's reading): the explorer's terms and verdict come from one pass.
  const [score] = await runtime.score([text], undefined, { exact: true });
  const unit = runtime.tokenizer.buildWindows(text);
  const prompt = unit.prompts[score.window] ?? unit.prompts[0];
  if (prompt.userEnd <= prompt.userStart) throw new Error('the text has no tokens to explain');
  const positions = [...Array.from({ length: prompt.userEnd - prompt.userStart }, (_, i) => prompt.userStart + i), prompt.tPostInst];
  const past = runtime.prefixModel ? await runtime.prefixKeyValues() : undefined;
  // Every read position lies after the cached prefix (the user's tokens start after the template's).
  const cached = past && prompt.userStart >= past.dims[3] ? past : undefined;
  const model = cached ? (runtime.prefixModel as LatentModel) : runtime.scoringModel;
  const [out] = await runtime.forward([prompt], () => positions, ['resid', 'attn_out', 'mlp_out'], undefined, model, cached);
  const depth = out.resid.length / (positions.length * runtime.files.config.hidden_size) - 1;
  const n = runtime.files.config.n_layers;
  const why =
    depth < n
      ? `the graph that scored the diagnostic: the detector reads no layer above ${layersRead(guard)}, so layers ${depth + 1}–${n} are not computed`
      : 'the graph that scored the diagnostic';
  const range = unit.ranges[score.window];
  const measured = await runtime.mediation?.measure(guard, prompt);
  const explanation = buildExplanation({
    guard,
    hidden: runtime.files.config.hidden_size,
    intermediate: runtime.files.config.intermediate_size,
    modelLayers: n,
    identity: runtime.identity,
    why,
    prompt,
    score,
    window: unit.prompts.length > 1 && range ? { index: score.window, count: unit.windows, start: range.start, end: range.end, sentence: range.sentence } : undefined,
    spans: runtime.tokenizer.userTokenSpans(prompt, text),
    originalText: text,
    positions,
    outputs: out,
    ms: performance.now() - started,
  });
  if (measured) {
    // Measured on the sentence's own prompt: its logit counts the sentence margin lower, as the verdict's does.
    if (range?.sentence && guard.segments && guard.calibration.a > 0) measured.mediation.logit -= guard.segments.margin / guard.calibration.a;
    measured.mediation.logit -= score.loweredBy ?? 0;
    explanation.mediation = measured.mediation;
    explanation.neurons = measured.neurons;
  }
  explanation.ms = performance.now() - started;
  return explanation;
}
