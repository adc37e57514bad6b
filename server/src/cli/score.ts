// `latent-lint score --jsonl IN --out OUT`: scores raw texts for evaluation, one JSON line each.
// Bad input lines become {"id", "error"} lines; the run never stops on one. Each line is written as
// soon as its batch is scored (OUT is valid JSONL up to its last complete line), `--resume` picks up
// after the lines OUT already holds, and ids are kept exactly as given (null too).
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createLatentGuard, SCREEN_EXACT_FROM, surprisalFlagged, thresholdIn, type UnitScore } from '../latent';
import { isPrecision } from '../latent/cpu-features';
import { SCORE_KINDS, type ScoreFinding, type ScoreKind, type ScoreLinter } from './score-lint';

const USAGE = `Usage: latent-lint score --jsonl IN --out OUT [--resume] [--threshold t] [--threads n] [--graph fp32|int8] [--precision auto|fp32|int8] [--no-cache] [--no-surprisal]
  IN: one {"id", "text", "kind"?} object per line ("-" for stdin); "kind" is one of ${SCORE_KINDS.join(', ')} (default prompt).
  OUT: one result per line, written as each batch is scored ("-" for stdout).
  --resume: keep the complete lines OUT already holds (from a run that was stopped) and score the rest.`;

/** Texts sent to the model per request; output is written and progress reported between them. */
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
  /** Each concept's probability by name, when the guard file has concepts. */
  concepts?: Record<string, number>;
  /** Mean nats per token of the most surprising run of tokens (the adversarial-suffix signal), when read. */
  surprisal?: number;
  rules?: string[];
  findings?: ScoreFinding[];
  ms?: number;
  error?: string;
}

interface Entry {
  output: OutputLine;
  text?: string;
  kind: ScoreKind;
}

/**
 * The complete lines of an earlier OUT: every line up to the last line break that parses as JSON.
 * Returns them and the byte length they take, so a cut-off last line can be dropped.
 */
function completeLines(file: string): { lines: OutputLine[]; bytes: number } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { lines: [], bytes: 0 };
  }
  const lines: OutputLine[] = [];
  let bytes = 0;
  let from = 0;
  for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
    const line = text.slice(from, end);
    try {
      lines.push(JSON.parse(line) as OutputLine);
    } catch {
      break;
    }
    bytes += Buffer.byteLength(line) + 1;
    from = end + 1;
  }
  return { lines, bytes };
}

export async function runScoreCommand(args: string[], lint?: ScoreLinter): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        jsonl: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean', default: false },
        threshold: { type: 'string' },
        threads: { type: 'string' },
        graph: { type: 'string' },
        precision: { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        'no-surprisal': { type: 'boolean', default: false },
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
  const out = values.out;
  if (values.resume && out === '-') return usage('--resume needs OUT to be a file');
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) return usage('--threshold takes a probability between 0 and 1');
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) return usage('--threads takes a whole number from 1 to 64');

  const precision = values.precision;
  if (precision !== undefined && (typeof precision !== 'string' || !isPrecision(precision))) return usage('--precision takes auto, fp32 or int8');

  let input: string;
  try {
    input = fs.readFileSync(values.jsonl === '-' ? 0 : values.jsonl, 'utf8');
  } catch (error) {
    return usage(`cannot read ${values.jsonl}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const entries: Entry[] = [];
  input.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() !== '') entries.push(parseLine(line, i + 1));
  });

  // Resuming: the lines OUT holds must be this input's first lines, in order, with the same ids.
  let done = 0;
  let keepBytes = 0;
  if (values.resume) {
    const previous = completeLines(out);
    if (previous.lines.length > entries.length) return usage(`--resume: ${out} holds ${previous.lines.length} lines, more than ${values.jsonl} has`);
    for (const [i, line] of previous.lines.entries()) {
      if (JSON.stringify(line.id) !== JSON.stringify(entries[i].output.id)) {
        return usage(`--resume: line ${i + 1} of ${out} has id ${JSON.stringify(line.id)}, not ${JSON.stringify(entries[i].output.id)}; it was written for another input`);
      }
    }
    done = previous.lines.length;
    keepBytes = previous.bytes;
  }

  const scorer = createLatentGuard({
    mode: 'in-process',
    threads,
    graph: typeof values.graph === 'string' ? values.graph : undefined,
    // The int8 screen decides in fp32 from SCREEN_EXACT_FROM up; a lower --threshold is read in fp32 throughout.
    precision: precision ?? (threshold !== undefined && threshold < SCREEN_EXACT_FROM ? 'fp32' : undefined),
    cache: values['no-cache'] ? { dir: null } : undefined,
    surprisal: !values['no-surprisal'],
  });
  let fd: number | undefined;
  try {
    const state = await scorer.start();
    if (state.status === 'failed') {
      process.stderr.write(`latent-lint score: the latent guard is unavailable: ${state.message}\n`);
      return 2;
    }
    const cut = thresholdIn(state, threshold);
    if (state.status === 'ready') for (const warning of state.warnings) process.stderr.write(`latent-lint score: ${warning}\n`);

    if (out !== '-') {
      try {
        if (values.resume && fs.existsSync(out)) {
          // Drop a line cut off by the stop, then append.
          fs.truncateSync(out, keepBytes);
          fd = fs.openSync(out, 'a');
        } else fd = fs.openSync(out, 'w');
      } catch (error) {
        return usage(`cannot write ${out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    const write = (lines: OutputLine[]): void => {
      if (lines.length === 0) return;
      const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
      if (fd === undefined) process.stdout.write(text);
      else fs.writeSync(fd, text);
    };
    if (done > 0) process.stderr.write(`latent-lint score: resuming after the ${done} lines ${out} already holds\n`);

    const jobs: number[] = [];
    for (let i = done; i < entries.length; i++) if (entries[i].text !== undefined) jobs.push(i);
    let written = done;
    const started = performance.now();
    for (let offset = 0; offset < jobs.length; offset += CHUNK) {
      const chunk = jobs.slice(offset, offset + CHUNK);
      const t0 = performance.now();
      let scores: UnitScore[] | undefined;
      try {
        scores = await scorer.scoreTexts(chunk.map((index) => entries[index].text as string));
      } catch (error) {
        for (const index of chunk) entries[index].output = { id: entries[index].output.id, error: `scoring failed: ${(error as Error).message}` };
      }
      // Time per text, amortised over its batch (texts are scored 16 at a time).
      const ms = (performance.now() - t0) / chunk.length;
      for (const [k, index] of chunk.entries()) {
        const score = scores?.[k];
        const entry = entries[index];
        if (!score) continue;
        let linted: { rules: string[]; findings: ScoreFinding[] } = { rules: [], findings: [] };
        try {
          const result = lint ? await lint(entry.text as string, entry.kind, scorer, cut) : linted;
          linted = Array.isArray(result) ? { rules: result, findings: [] } : result;
        } catch (error) {
          process.stderr.write(`latent-lint score: linting ${JSON.stringify(entry.output.id)} failed: ${(error as Error).message}\n`);
        }
        entry.output = {
          id: entry.output.id,
          score: round(score.probability),
          // Harmful at the cut in force, any concept at or over its own threshold, or an adversarial suffix.
          flagged:
            score.probability >= cut ||
            (score.concepts ?? []).some((concept) => concept.probability >= concept.threshold) ||
            surprisalFlagged(score.surprisal),
          baseline: round(score.baseline),
          harm: score.harm,
          refusal: score.refusal,
          layers: score.layers,
          category: score.category,
          refusalSuppressed: score.refusalSuppressed,
          truncated: score.truncated,
          ...(score.concepts?.length ? { concepts: Object.fromEntries(score.concepts.map((concept) => [concept.name, round(concept.probability)])) } : {}),
          ...(score.surprisal ? { surprisal: round(score.surprisal.score) } : {}),
          rules: linted.rules,
          findings: linted.findings,
          ms: Math.round(ms * 100) / 100,
        };
      }
      // Everything up to this batch's last text is final (error lines between included): write it now.
      const upTo = chunk[chunk.length - 1] + 1;
      write(entries.slice(written, upTo).map((entry) => entry.output));
      written = upTo;
      process.stderr.write(`latent-lint score: ${Math.min(offset + CHUNK, jobs.length)}/${jobs.length} texts, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
    write(entries.slice(written).map((entry) => entry.output));

    const fresh = entries.slice(done);
    const errors = fresh.filter((entry) => entry.output.error).length;
    process.stderr.write(`latent-lint score: ${fresh.length - errors} scored, ${errors} errors${done ? ` (${done} lines kept from before)` : ''}, threshold ${cut}\n`);
    return 0;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    await scorer.dispose();
  }
}

function parseLine(line: string, lineNumber: number): Entry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { output: { id: lineNumber, error: `line ${lineNumber}: invalid JSON (${(error as Error).message})` }, kind: 'prompt' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { output: { id: lineNumber, error: `line ${lineNumber}: expected an object with "id" and "text"` }, kind: 'prompt' };
  }
  const record = value as Record<string, unknown>;
  // An id is kept exactly as given, null included; only a line without one is named by its number.
  const id = 'id' in record ? record.id : lineNumber;
  const kind = record.kind ?? 'prompt';
  if (typeof kind !== 'string' || !(SCORE_KINDS as readonly string[]).includes(kind)) {
    return { output: { id, error: `line ${lineNumber}: "kind" must be one of ${SCORE_KINDS.join(', ')}` }, kind: 'prompt' };
  }
  if (typeof record.text !== 'string') return { output: { id, error: `line ${lineNumber}: "text" is missing or not a string` }, kind: kind as ScoreKind };
  if (record.text.trim() === '') return { output: { id, error: `line ${lineNumber}: "text" is empty` }, kind: kind as ScoreKind };
  return { output: { id }, text: record.text, kind: kind as ScoreKind };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
