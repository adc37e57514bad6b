// Reads every row of a JSONL file ({id, text, ...}) as a whole unit and each of its lines and
// sentences alone, on the fp32 guard graph, with a guard file that has no `segments` (so nothing is
// combined here), and writes one line per row: the whole reading's detector logit, how many
// sentences it has and each one's own logit. models/bench_segments.py combines them.
//
//   npx tsx scripts/read-sentences.ts ROWS.jsonl OUT.jsonl --guard GUARD_WITHOUT_SEGMENTS --min-words N --max N
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LatentRuntime } from '../server/src/latent/runtime';
import { sentencesOf } from '../server/src/latent/sentences';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const [rowsPath, outPath] = args;
const guardPath = flag('--guard', '');
const minWords = Number(flag('--min-words', '2'));
const max = Number(flag('--max', '16'));
const modelDir = path.join(__dirname, '..', 'models', 'build', 'smollm2-135m-instruct');

async function main(): Promise<void> {
  if (!rowsPath || !outPath || !guardPath) throw new Error('usage: read-sentences.ts ROWS.jsonl OUT.jsonl --guard GUARD.json [--min-words N] [--max N]');
  const rows: { id: string; text: string }[] = fs.readFileSync(rowsPath, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const runtime = LatentRuntime.open({ modelDir, guardPath, precision: 'fp32' });
  if (runtime.guard?.segments) throw new Error(`${guardPath} reads sentences alone: give a guard file without \`segments\``);
  const out: string[] = [];
  try {
    for (let i = 0; i < rows.length; i += 16) {
      const batch = rows.slice(i, i + 16);
      const found = batch.map((row) => sentencesOf(row.text, minWords));
      const read = found.map((sentences) => sentences.slice(0, max));
      const texts = [...batch.map((row) => row.text), ...read.flatMap((sentences, j) => sentences.map(({ start, end }) => batch[j].text.slice(start, end)))];
      const scores = await runtime.score(texts);
      let next = batch.length;
      batch.forEach((row, j) => {
        const own = scores.slice(next, (next += read[j].length)).map((score) => score.logit);
        out.push(JSON.stringify({ id: row.id, whole: scores[j].logit, windows: Math.max(1, scores[j].windows.length), sentences: found[j].length, read: own }));
      });
      if (i % 640 === 0) process.stderr.write(`read-sentences: ${i} of ${rows.length}\n`);
    }
  } finally {
    await runtime.release();
  }
  fs.writeFileSync(outPath, out.join('\n') + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
