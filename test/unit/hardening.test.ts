// Issue #17 on the engine: a file that breaks a parser costs that file only; findings cannot be hidden.
import * as assert from 'node:assert/strict';
import type { Format } from '../../server/src/core/types';
import { defaultConfig } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { flattenDeepJson, MAX_JSON_DEPTH, parseJson } from '../../server/src/formats/json';

describe('a file that breaks a parser (#17)', () => {
  it('becomes one parse/invalid-file finding with a note, not an exception', async () => {
    const crashing: Format = {
      id: 'crashing',
      description: 'a parser that overflows its stack',
      patterns: [],
      languages: [],
      matches: () => true,
      parse: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    };
    const engine = new Engine({ formats: [crashing] });
    const result = await engine.lintText('x.prompt.md', 'first line\nsecond\n', { explicit: true, config: defaultConfig() });
    assert.deepEqual(result.findings.map((f) => [f.ruleId, f.severity, f.range.start.line]), [['parse/invalid-file', 'error', 0]]);
    assert.match(result.notes[0], /could not be parsed \(Maximum call stack size exceeded\)/);
  });

  it('JSON nested past the limit is cut in one pass with offsets kept', () => {
    const deep = `{"a":"x","b":${'['.repeat(MAX_JSON_DEPTH + 10)}"inner"${']'.repeat(MAX_JSON_DEPTH + 10)},"c":"y"}`;
    const flat = flattenDeepJson(deep);
    assert.equal(flat.text.length, deep.length);
    assert.equal(JSON.parse(flat.text).c, 'y');
    const parsed = parseJson(deep);
    assert.equal(parsed.problems.length, 1);
    assert.match(parsed.problems[0].message, /deeper than 256 levels/);
    // Brackets inside strings and comments do not count.
    assert.equal(flattenDeepJson(`{"s": "${'['.repeat(1000)}"} // ${'{'.repeat(1000)}`).cutAt, undefined);
  });
});
