// One lint of one text (what Engine.lint returns) and what it does to the parsed document.
import type { FileResult, Finding, ParsedDocument, ScoreProgress, Span, Unit } from '../core/types';
import { carryOver, type CarriedFindings } from './carry-over';
import { parseDirectives, unitWithout } from './suppressions';
import { LineIndex } from './text';

/** One parse of one text: the rule findings at once, the latent guard's on demand, from the same parse. */
export interface LintRun {
  readonly filePath: string;
  readonly text: string;
  /** The parsed document; undefined when no format reads the file or its parser gave up. */
  readonly document?: ParsedDocument;
  /** The rule findings, directives applied (unused ones counted against these findings alone). */
  readonly rules: FileResult;
  /** True when the guard runs on this file (a scorer, and the config leaves it on). */
  readonly latentEnabled: boolean;
  /** Rule and latent findings together, directives applied to both; the rules' result when the guard is off. Cancellable; asked again after a cancel, it runs again. */
  latent(signal?: AbortSignal, onProgress?: (progress: ScoreProgress) => void): Promise<FileResult>;
  /** An earlier run's latent findings moved to where their text sits in this text (see `carryOver`). */
  carryOver(previous: CarriedFindings | undefined): Finding[];
}

/** A run with nothing more to come: the file was not parsed (no format, or its parser gave up). */
export function settledRun(filePath: string, text: string, result: FileResult): LintRun {
  return {
    filePath,
    text,
    rules: result,
    latentEnabled: false,
    latent: () => Promise.resolve(result),
    carryOver: (previous) => {
      const lines = new LineIndex(text);
      return carryOver(previous, text, lines, parseDirectives(text, lines));
    },
  };
}

/** Notes the innermost unit each finding sits in, so that what one unit triggers can be grouped. */
export function assignUnits(findings: Finding[], document: ParsedDocument): void {
  const units = [...document.units];
  for (const tool of document.tools) {
    if (tool.description) units.push(tool.description);
    for (const parameter of tool.parameters) if (parameter.description) units.push(parameter.description);
  }
  for (const finding of findings) {
    let best: Unit | undefined;
    for (const unit of units) {
      if (unit.span.start > finding.span.start || finding.span.end > unit.span.end) continue;
      if (!best || unit.span.end - unit.span.start < best.span.end - best.span.start) best = unit;
    }
    if (best) finding.unitId = best.id;
    // Text read through a YAML alias: a fix would rewrite the alias, not the text (fix the anchor).
    if (best?.aliasOf) finding.fix = undefined;
  }
}

/**
 * Takes suppression comments out of what rules and the guard read: inserting a directive must not
 * change the text that is judged (the finding it names would move or vanish, and the directive
 * would then be reported as unused).
 */
export function withoutDirectives(document: ParsedDocument, cuts: Span[]): void {
  if (cuts.length === 0) return;
  const rewritten = new Map<Unit, Unit | undefined>();
  const strip = (unit: Unit): Unit | undefined => {
    if (!rewritten.has(unit)) rewritten.set(unit, unitWithout(unit, document.text, cuts));
    return rewritten.get(unit);
  };
  document.units = document.units.map(strip).filter((unit): unit is Unit => unit !== undefined);
  for (const tool of document.tools) {
    if (tool.description) tool.description = strip(tool.description);
    for (const parameter of tool.parameters) if (parameter.description) parameter.description = strip(parameter.description);
  }
}
