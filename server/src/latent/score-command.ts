// `latent-lint score --jsonl IN --out OUT`: scores raw texts for evaluation, one JSON line each.
// Bad input lines become {"id", "error"} lines; the run never stops on one.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { LatentGuardService } from './guard';
import type { UnitScore } from './signals';

/** Ids of the policy rules that fire on a text; the CLI passes the engine's. */
export type PolicyRuleIds = (text: string) => Promise<string[]>;

const USAGE = `Usage: latent-lint score --jsonl IN --out OUT [--threshold t] [--threads n] [--graph fp32|int8] [--no-cache]
  IN: one {"id", "text"} object per line ("-" for stdin); OUT: one result per line ("-" for stdout).`;

/** Texts sent to the model per request; progress is reported between them. */
const CHUNK = 128;

interface OutputLine {
  id: unknown;
  score?: number;
  flagged?: boolean;
  baseline?: number;
  harm?: number[];
  refusal?: number[];
  layers?: number[];
  category?: string;
  refusalSuppressed?: boolean;
  truncated?: boolean;
  rules?: string[];
  ms?: number;
  error?: string;
}

export async function runScoreCommand(args: string[], policyRuleIds?: PolicyRuleIds): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        jsonl: { type: 'string' },
        out: { type: 'string' },
        threshold: { type: 'string' },
        threads: { type: 'string' },
        graph: { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`latent-lint score: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const usage = (message: string): number => {
    process.stderr.write(`latent-lint score: ${message}\n${USAGE}\n`);
    return 2;
  };
  if (typeof values.jsonl !== 'string') return usage('--jsonl IN is required');
  if (typeof values.out !== 'string') return usage('--out OUT is required');
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) return usage('--threshold takes a probability between 0 and 1');
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) return usage('--threads takes a whole number from 1 to 64');

  let input: string;
  try {
    input = fs.readFileSync(values.jsonl === '-' ? 0 : values.jsonl, 'utf8');
  } catch (error) {
    return usage(`cannot read ${values.jsonl}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }

  const service = new LatentGuardService({
    mode: 'in-process',
    threads,
    graph: typeof values.graph === 'string' ? values.graph : undefined,
    cache: values['no-cache'] ? { dir: null } : undefined,
  });
  try {
    const state = await service.start();
    if (state.status === 'failed') {
      process.stderr.write(`latent-lint score: the latent guard is unavailable: ${state.message}\n`);
      return 2;
    }
    const cut = threshold ?? (state.status === 'ready' ? state.identity.threshold : 0.5);
    if (state.status === 'ready') for (const warning of state.warnings) process.stderr.write(`latent-lint score: ${warning}\n`);

    const lines = input.split(/\r?\n/);
    const results: OutputLine[] = [];
    const jobs: { index: number; text: string }[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const parsed = parseLine(line, i + 1);
      results.push(parsed.output);
      if (parsed.text !== undefined) jobs.push({ index: results.length - 1, text: parsed.text });
    });

    const started = performance.now();
    for (let offset = 0; offset < jobs.length; offset += CHUNK) {
      const chunk = jobs.slice(offset, offset + CHUNK);
      const t0 = performance.now();
      let scores: UnitScore[];
      try {
        scores = await service.scoreTexts(chunk.map((job) => job.text));
      } catch (error) {
        for (const job of chunk) results[job.index] = { id: results[job.index].id, error: `scoring failed: ${(error as Error).message}` };
        continue;
      }
      // Time per text, amortised over its batch (texts are scored 16 at a time).
      const ms = (performance.now() - t0) / chunk.length;
      for (let k = 0; k < chunk.length; k++) {
        const score = scores[k];
        const job = chunk[k];
        let rules: string[] = [];
        try {
          rules = policyRuleIds ? await policyRuleIds(job.text) : [];
        } catch {
          rules = [];
        }
        results[job.index] = {
          id: results[job.index].id,
          score: round(score.probability),
          flagged: score.probability >= cut,
          baseline: round(score.baseline),
          harm: score.harm,
          refusal: score.refusal,
          layers: score.layers,
          category: score.category,
          refusalSuppressed: score.refusalSuppressed,
          truncated: score.truncated,
          rules,
          ms: Math.round(ms * 100) / 100,
        };
      }
      process.stderr.write(`latent-lint score: ${Math.min(offset + CHUNK, jobs.length)}/${jobs.length} texts, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }

    const text = results.map((result) => JSON.stringify(result)).join('\n') + (results.length ? '\n' : '');
    if (values.out === '-') process.stdout.write(text);
    else fs.writeFileSync(values.out, text);
    const errors = results.filter((result) => result.error).length;
    process.stderr.write(`latent-lint score: ${results.length - errors} scored, ${errors} errors, threshold ${cut}\n`);
    return 0;
  } finally {
    await service.dispose();
  }
}

function parseLine(line: string, lineNumber: number): { output: OutputLine; text?: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { output: { id: lineNumber, error: `line ${lineNumber}: invalid JSON (${(error as Error).message})` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { output: { id: lineNumber, error: `line ${lineNumber}: expected an object with "id" and "text"` } };
  }
  const record = value as Record<string, unknown>;
  const id = record.id ?? lineNumber;
  if (typeof record.text !== 'string') return { output: { id, error: `line ${lineNumber}: "text" is missing or not a string` } };
  if (record.text.trim() === '') return { output: { id, error: `line ${lineNumber}: "text" is empty` } };
  return { output: { id }, text: record.text };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
