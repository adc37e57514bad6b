// One lint per document version: the language server, in this process over real LSP messages, with
// an engine whose formats and rules count their work. Per edit the file is parsed once and each rule
// runs once, whatever asks afterwards (the latent run, hover, code actions, explain).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createConnection } from 'vscode-languageserver/lib/common/server';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import type { Format, ParsedDocument, Rule, RuleMeta } from '../../server/src/core/types';
import { Engine } from '../../server/src/engine/engine';
import { FORMATS } from '../../server/src/formats';
import { startLanguageServer } from '../../server/src/lsp/languageServer';
import type { LatentGuard, LatentState } from '../../server/src/latent';
import type { ExplainResult } from '../../server/src/protocol/explain';
import { RULES } from '../../server/src/rules';
import { TestClient, tempWorkspace } from './client';

const HARMFUL: RuleMeta = {
  id: 'latent/harmful-request',
  category: 'latent',
  defaultSeverity: 'warning',
  description: 'A stand-in for the guard.',
  docsUrl: 'https://example.invalid/latent/harmful-request',
  fixable: false,
};

interface Counts {
  parses: number;
  ruleRuns: number;
  scores: number;
  /** Configurations looked up for the document (its context: config files, editor settings, trust). */
  contexts: number;
}

/** A guard that flags every instruction unit (no model): what matters here is how often it is asked. */
function countingGuard(counts: Counts): LatentGuard {
  const ready: LatentState = { status: 'ready', identity: { modelName: 'counting', graph: 'none', graphSha256: '', guardSha256: '', layers: 0, threshold: 0.5, minWords: 1 }, warnings: [] };
  return {
    id: 'counting-guard',
    metas: [HARMFUL],
    score: async (document: ParsedDocument) => {
      counts.scores++;
      return document.units
        .filter((unit) => unit.instruction)
        .map((unit) => ({ ruleId: HARMFUL.id, severity: HARMFUL.defaultSeverity, docsUrl: HARMFUL.docsUrl, span: unit.span, message: 'Flagged.', data: { probability: 0.9, threshold: 0.5 } }));
    },
    state: () => ready,
    onStateChange: () => () => undefined,
    start: async () => ready,
    retry: async () => ready,
    scoreTexts: async () => [],
    configure: async () => undefined,
    dispose: async () => undefined,
    explain: async (text: string): Promise<ExplainResult> => ({
      text,
      verdict: { probability: 0.9, logit: 2.2, threshold: 0.5, thresholdLogit: 0, flagged: true, refusalSuppressed: false, categoryBound: 0.05, rules: [], summary: 'Flagged.' },
      readouts: [],
      layers: [],
      embedding: 0,
      neurons: [],
      tokens: [],
      model: { name: 'counting', graph: 'none', layers: 0, modelLayers: 0, why: 'a stand-in' },
      ms: 0,
    }),
  };
}

function countingEngine(counts: Counts): Engine {
  // Object.create keeps each format's own `matches` (and whatever else it has); only `parse` is counted.
  const formats = FORMATS.map((format): Format => {
    const counted = Object.create(format) as Format;
    counted.parse = (uri: string, text: string) => {
      counts.parses++;
      return format.parse(uri, text);
    };
    return counted;
  });
  const rules = RULES.map((rule): Rule => ({
    meta: rule.meta,
    check: (context) => {
      counts.ruleRuns++;
      return rule.check(context);
    },
  }));
  const engine = new Engine({ formats, rules, scorer: countingGuard(counts) });
  const resolveForFile = engine.configs.resolveForFile.bind(engine.configs);
  engine.configs.resolveForFile = (filePath) => {
    counts.contexts++;
    return resolveForFile(filePath);
  };
  return engine;
}

describe('one lint per document version (in-process server)', function () {
  let workspace: string;
  let client: TestClient;
  let counts: Counts;

  beforeEach(async () => {
    workspace = tempWorkspace();
    counts = { parses: 0, ruleRuns: 0, scores: 0, contexts: 0 };
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    // The common connection: the node one exits the process on `exit` and watches the client's pid.
    const connection = createConnection(
      (logger) => createProtocolConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient), logger),
      { initialize: () => undefined, shutdownReceived: false, exit: () => undefined },
    );
    const guard = countingGuard(counts);
    startLanguageServer(connection, { guard, engine: countingEngine(counts) } as Parameters<typeof startLanguageServer>[1]);
    client = new TestClient({ streams: { reader: toClient, writer: toServer }, configuration: () => ({}) });
    await client.initialize(workspace);
  });

  afterEach(async () => {
    await client.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  /** Everything an editor asks about one version: the pull, the latent result, hover, code actions, explain. */
  async function visit(uri: string, line: number): Promise<Diagnostic[]> {
    const refreshed = client.nextRefresh();
    await client.pull(uri);
    await refreshed;
    const diagnostics = await client.pull(uri);
    assert.ok(diagnostics.some((d) => d.code === HARMFUL.id), `latent findings merged: ${JSON.stringify(diagnostics.map((d) => d.code))}`);
    const override = diagnostics.find((d) => d.code === 'injection/override-instructions');
    assert.ok(override, 'rule findings there');
    await client.hover(uri, { line, character: 3 });
    const actions = await client.codeActions(uri, override.range, [override]);
    assert.ok(actions.some((action) => /^Suppress injection\/override-instructions for this line$/.test(action.title)), actions.map((a) => a.title).join(' | '));
    const explained = (await client.connection.sendRequest('latentLint/explain', { uri, position: { line, character: 3 } })) as ExplainResult;
    assert.equal(explained.text, client.text(uri).split('\n')[line]);
    return diagnostics;
  }

  it('parses each version once and runs each rule once for it', async () => {
    const file = path.join(workspace, 'prompts/support.prompt.md');
    const uri = await client.open(file);
    await visit(uri, 5);
    const first = { ...counts };
    await client.edit(uri, { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, 'Greet the customer by name.\n\n');
    await visit(uri, 7);
    const perEdit = {
      parses: counts.parses - first.parses,
      ruleRuns: counts.ruleRuns - first.ruleRuns,
      scores: counts.scores - first.scores,
      contexts: counts.contexts - first.contexts,
    };
    // Printed for the before/after note.
    console.log(`      per edit: ${perEdit.parses} parse(s), ${perEdit.ruleRuns} rule runs (${RULES.length} rules), ${perEdit.scores} latent run(s), ${perEdit.contexts} context lookup(s)`);
    // The context too is resolved once per version: the second pull, code actions and explain reuse it.
    assert.deepEqual(first, { parses: 1, ruleRuns: RULES.length, scores: 1, contexts: 1 }, 'the first version');
    assert.deepEqual(perEdit, { parses: 1, ruleRuns: RULES.length, scores: 1, contexts: 1 }, 'each edit');
  });
});
