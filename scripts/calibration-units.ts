// Splits files into the units the linter scores, for calibration (models/calibrate.py).
// Reads JSON lines {id, name, text} on stdin; writes JSON lines {id, units: [{id, kind, text}]}
// with only the units the latent guard reads (instruction === true). Using the real formats keeps
// the calibration corpus exactly what `latent-lint check` would score.
import { createInterface } from 'node:readline';
import { formatFor } from '../server/src/formats/index';

interface FileIn {
  id: string;
  name: string;
  text: string;
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const file = JSON.parse(line) as FileIn;
    const format = formatFor(file.name, file.text, true);
    const units = format
      ? format.parse(file.name, file.text).units.filter((unit) => unit.instruction).map((unit) => ({ id: unit.id, kind: unit.kind, text: unit.text }))
      : [];
    process.stdout.write(`${JSON.stringify({ id: file.id, format: format?.id ?? null, units })}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
