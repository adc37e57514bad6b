// Every rule runs on its fixtures: files named trigger* must fire it, files named clean* must not.
// In a trigger file, a line holding `ruleid: <id>` marks the next line as one that must fire
// (Semgrep's habit); without such marks, any finding of the rule in the file will do. A folder named
// trigger*/clean* holds files whose names matter to their format (agents.yaml, .claude/settings.json):
// every file under it is a fixture of that kind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../server/src/engine/engine';
import { RULES } from '../../server/src/rules';
import { defaultConfig } from '../../server/src/engine/config';
import { ACTION, lastSentence } from './actions';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'rules');
const DOCS = path.join(__dirname, '..', '..', 'docs', 'rules');

// Fixture files of a rule folder, as paths relative to it; folders named trigger* or clean* are walked.
function fixtureFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

function expectedLines(text: string, ruleId: string): number[] {
  const lines = text.split('\n');
  const marked: number[] = [];
  lines.forEach((line, index) => {
    if (line.includes(`ruleid: ${ruleId}`)) marked.push(index + 1);
  });
  return marked;
}

describe('rules', () => {
  const ids = RULES.map((rule) => rule.meta.id);

  it('have unique kebab-case group/name ids', () => {
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  for (const rule of RULES) {
    const id = rule.meta.id;
    describe(id, () => {
      const dir = path.join(FIXTURES, id);
      const files = fixtureFiles(dir);
      const config = defaultConfig();

      it('has a doc page, metadata and fixtures of both kinds', () => {
        assert.ok(fs.existsSync(path.join(DOCS, `${id}.md`)), `docs/rules/${id}.md is missing`);
        assert.ok(rule.meta.description.length > 20);
        assert.ok(rule.meta.docsUrl.endsWith(`${id}.md`));
        assert.ok(files.some((f) => f.startsWith('trigger')), `no trigger* fixture in ${dir}`);
        assert.ok(files.some((f) => f.startsWith('clean')), `no clean* fixture in ${dir}`);
      });

      for (const file of files) {
        const full = path.join(dir, file);
        const mustFire = file.startsWith('trigger');
        it(`${mustFire ? 'fires on' : 'stays quiet on'} ${file}`, async () => {
          const engine = new Engine({ rules: [rule] });
          const text = fs.readFileSync(full, 'utf8');
          const result = await engine.lintText(full, text, { explicit: true, config });
          const hits = result.findings.filter((f) => f.ruleId === id && !f.suppressed);
          if (!mustFire) {
            assert.deepEqual(hits.map((h) => `${h.range.start.line + 1}: ${h.message}`), []);
            return;
          }
          assert.ok(hits.length > 0, `${id} did not fire on ${file}`);
          const marked = expectedLines(text, id);
          if (marked.length > 0) {
            const fired = new Set(hits.map((h) => h.range.start.line));
            for (const line of marked) assert.ok(fired.has(line), `${id} did not fire on line ${line + 1} of ${file}`);
          }
          for (const hit of hits) {
            assert.match(lastSentence(hit.message), ACTION, `the message of ${id} does not end with what to do: ${hit.message}`);
            assert.ok(hit.span.end >= hit.span.start);
            for (const edit of hit.fix?.edits ?? []) assert.ok(edit.span.start >= 0 && edit.span.end <= text.length);
          }
        });
      }
    });
  }
});
