// The scoring pass: every window's resid at t_inst and t_post_inst through the scoring graph (its
// prefix cached), scored by the guard's arithmetic. With the int8 screen, every window is read in
// int8 first and the ones near a decision again in fp32 (screen.ts); the arithmetic is signals.ts's.
import type { GuardFile } from './guard-file';
import type { LatentModel } from './model';
import type { LatentRuntime } from './runtime';
import { needsExactScore } from './screen';
import { scoreResiduals, type UnitScore } from './signals';
import type { Prompt } from './tokenizer';

/**
 * `resid` at t_inst and t_post_inst of each prompt: through a KV-prefix graph and its cached prefix
 * (the fp32 scoring graph's by default, or the int8 screen's: they share the fp32 prefix cache), else
 * whole prompts through the scoring graph.
 */
async function readResid(runtime: LatentRuntime, prompts: readonly Prompt[], shouldStop: (() => boolean) | undefined, model = runtime.prefixModel): Promise<Record<'resid', Float32Array>[]> {
  const positions = (p: Prompt): number[] => [p.tInst, p.tPostInst];
  if (!model) return runtime.forward(prompts, positions, ['resid'], shouldStop, runtime.scoringModel);
  const past = await runtime.prefixKeyValues();
  const length = past.dims[3];
  // An empty unit's t_inst is the prefix's last token: its resid comes from the prefix run (causal).
  const inPrefix = (p: Prompt): boolean => p.tInst < length;
  const outputs = await runtime.forward(prompts, (p) => (inPrefix(p) ? [p.tPostInst, p.tPostInst] : positions(p)), ['resid'], shouldStop, model, past);
  prompts.forEach((p, i) => {
    if (!inPrefix(p)) return;
    if (p.tInst !== length - 1) throw new Error(`t_inst ${p.tInst} lies inside the cached prefix`);
    outputs[i].resid.set(past.resid, 0);
  });
  return outputs;
}

/** Each window's score; `screen`: read in int8 first, and in fp32 again wherever a decision is near. */
export async function scoreWindows(
  runtime: LatentRuntime,
  guard: GuardFile,
  prompts: readonly Prompt[],
  shouldStop: (() => boolean) | undefined,
  screen?: { model: LatentModel; margin: number },
): Promise<UnitScore[]> {
  const H = runtime.files.config.hidden_size;
  const scoreOf = (out: Record<'resid', Float32Array>, prompt: Prompt): UnitScore => {
    // Two positions per row; the layer count comes from the output itself (a scoring graph may be truncated).
    const stride = out.resid.length / 2;
    return scoreResiduals(guard, out.resid, 0, out.resid, stride, { tokens: prompt.userTokens, truncated: prompt.truncated }, stride / H - 1);
  };
  if (!screen) return (await readResid(runtime, prompts, shouldStop)).map((out, i) => scoreOf(out, prompts[i]));
  const scores = (await readResid(runtime, prompts, shouldStop, screen.model)).map((out, i): UnitScore => ({ ...scoreOf(out, prompts[i]), screened: true }));
  // Whatever could cross a threshold is read again in fp32: those scores (and so every flag) are exact.
  const again = scores.flatMap((score, i) => (needsExactScore(score, guard, screen.margin) ? [i] : []));
  runtime.screenCounts.screened += prompts.length;
  runtime.screenCounts.exact += again.length;
  if (again.length) {
    const exact = await readResid(runtime, again.map((i) => prompts[i]), shouldStop);
    again.forEach((index, k) => (scores[index] = scoreOf(exact[k], prompts[index])));
  }
  return scores;
}
