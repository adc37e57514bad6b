// Every format maps its fixture to units whose text maps back to the source exactly.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unitSpan } from '../../server/src/core/spans';
import type { ParsedDocument, Unit } from '../../server/src/core/types';
import { findFormat, FORMATS, formatFor, probeFile } from '../../server/src/formats';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'formats');

function fixture(name: string): { file: string; text: string } {
  const file = path.join(FIXTURES, name);
  return { file, text: fs.readFileSync(file, 'utf8') };
}

function parse(name: string, explicit = false): ParsedDocument {
  const { file, text } = fixture(name);
  const format = formatFor(file, text, explicit);
  assert.ok(format, `no format reads ${name}`);
  return format.parse(file, text);
}

const unit = (doc: ParsedDocument, id: string): Unit => {
  const found = doc.units.find((u) => u.id === id);
  assert.ok(found, `no unit ${id} in ${doc.units.map((u) => u.id).join(', ')}`);
  return found;
};

const sliceOf = (doc: ParsedDocument, span: { start: number; end: number }): string => doc.text.slice(span.start, span.end);

/** Each character of the decoded text sits at its offset, or at the escape that wrote it. */
function assertMapsBack(doc: ParsedDocument, u: Unit): void {
  if (!u.sourceOffsets) {
    assert.equal(sliceOf(doc, u.span), u.text, `${u.id}: span does not hold the text`);
    return;
  }
  assert.equal(u.sourceOffsets.length, u.text.length + 1, `${u.id}: offsets length`);
  for (let i = 0; i < u.text.length; i++) {
    const at = doc.text[u.sourceOffsets[i]];
    const same = at === u.text[i] || (/\s/.test(u.text[i]) && /\s/.test(at)) || at === '\\';
    assert.ok(same, `${u.id}: character ${i} ${JSON.stringify(u.text[i])} maps to ${JSON.stringify(at)}`);
    assert.ok(u.sourceOffsets[i + 1] >= u.sourceOffsets[i], `${u.id}: offsets go backwards at ${i}`);
  }
  assert.equal(u.sourceOffsets[0], u.span.start);
  assert.equal(u.sourceOffsets[u.text.length], u.span.end);
}

function allFixtures(dir = FIXTURES): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? allFixtures(full) : [path.relative(FIXTURES, full)];
  });
}

describe('formats', () => {
  describe('every fixture', () => {
    for (const name of allFixtures()) {
      it(`${name}: units have unique ids and map back to the source`, () => {
        const { file, text } = fixture(name);
        const format = formatFor(file, text, true);
        if (!format) return assert.equal(name, path.join('openai', 'package.json'), 'only the non-tool JSON is left unread');
        const doc = format.parse(file, text);
        assert.equal(new Set(doc.units.map((u) => u.id)).size, doc.units.length, 'unit ids are unique');
        for (const u of doc.units) assertMapsBack(doc, u);
        for (const tool of doc.tools) {
          assert.equal(sliceOf(doc, tool.nameSpan), tool.name);
          for (const parameter of tool.parameters) assert.equal(sliceOf(doc, parameter.nameSpan), parameter.name);
        }
      });
    }
  });

  describe('registry', () => {
    it('picks formats by name, and JSON by shape', () => {
      const cases: [string, string, string | undefined][] = [
        ['a/b/review.prompt.md', '', 'markdown-prompt'],
        ['x/.cursor/rules/style.mdc', '', 'markdown-prompt'],
        ['chat.prompty', '', 'prompty'],
        ['recipe.prompt', '', 'dotprompt'],
        ['config/agents.yaml', 'a:\n  role: R\n', 'crewai'],
        ['config/agents.yaml', 'version: 2\n', undefined],
        ['.vscode/mcp.json', '', 'mcp-config'],
        ['claude_desktop_config.json', '', 'mcp-config'],
        ['settings.json', '{"mcp": {"servers": {"x": {"command": "node"}}}}', 'mcp-config'],
        ['project/.claude/settings.json', '', 'claude-settings'],
        ['anything.json', '{"tools": [{"name": "t", "inputSchema": {"type": "object"}}]}', 'mcp-tools'],
        ['anything.json', '[{"type": "function", "function": {"name": "t", "parameters": {}}}]', 'openai-tools'],
        ['anything.json', '{"name": "t", "description": "d", "parameters": {"type": "object"}}', 'openai-tools'],
        ['server.json', '{"name": "io.x/y", "packages": [{"identifier": "y"}]}', 'mcp-server-manifest'],
        ['package.json', '{"name": "x", "description": "A package."}', undefined],
        ['tsconfig.json', '{"compilerOptions": {}}', undefined],
        ['notes.md', 'Hello.', undefined],
      ];
      for (const [name, text, expected] of cases) assert.equal(formatFor(name, text, false)?.id, expected, name);
    });

    it('reads any named text file as a plain prompt, but not unrecognised JSON or YAML', () => {
      assert.equal(formatFor('system.txt', 'Hi.', true)?.id, 'plain-prompt');
      assert.equal(formatFor('README.md', 'Hi.', true)?.id, 'plain-prompt');
      assert.equal(formatFor('package.json', '{"name": "x"}', true), undefined);
      assert.equal(formatFor('ci.yaml', 'on: push\n', true), undefined);
    });

    it('has unique format ids and plain-prompt last', () => {
      assert.equal(new Set(FORMATS.map((f) => f.id)).size, FORMATS.length);
      assert.equal(FORMATS[FORMATS.length - 1].id, 'plain-prompt');
    });

    it('parses a file once: every sniff and the parse share one tree', () => {
      const text = '[{"type": "function", "function": {"name": "t", "description": "Reads a file.", "parameters": {}}}]';
      const file = probeFile('anything.json', false, text);
      const shared = file.tree.bind(file);
      let reads = 0;
      file.tree = <T>(syntax: string, read: (text: string) => T): T => shared(syntax, (source) => (reads++, read(source)));
      const format = findFormat(file);
      assert.equal(format?.id, 'openai-tools', 'after the settings, MCP config and MCP tools sniffs said no');
      const document = format.parse('anything.json', text, file);
      assert.deepEqual(document.tools.map((tool) => tool.name), ['t']);
      assert.equal(reads, 1);
    });

    it('recognises a JSON tool list from a truncated first 16 KB, as a folder scan peeks', () => {
      const full = JSON.stringify([{ type: 'function', function: { name: 't', description: 'd'.repeat(20000), parameters: { type: 'object' } } }]);
      assert.equal(formatFor('tools.json', full.slice(0, 16384), false)?.id, 'openai-tools');
    });
  });

  describe('markdown prompt files', () => {
    it('decodes a quoted front-matter value and maps it back through offsets', () => {
      const doc = parse('markdown/review.prompt.md');
      const description = unit(doc, 'frontmatter.description');
      assert.equal(description.text, 'Review a pull request for "risky" changes');
      assert.ok(description.sourceOffsets);
      const risky = description.text.indexOf('risky');
      assert.equal(sliceOf(doc, unitSpan(description, risky, risky + 5)), 'risky');
      assert.deepEqual(doc.agents[0].allowedTools, ['codebase', 'githubRepo']);
      assert.deepEqual(doc.comments, { blockStart: '<!--', blockEnd: '-->' });
    });
  });

  describe('front matter as the host tool reads it', () => {
    const fields = (doc: ParsedDocument): Record<string, string> => Object.fromEntries(doc.units.filter((u) => u.kind === 'frontmatter-field').map((u) => [u.label ?? '', u.text]));

    it('Cursor .mdc: unquoted globs with a leading * are fields, not a broken file', () => {
      const ts = parse('cursor/.cursor/rules/typescript.mdc');
      assert.deepEqual(ts.problems, []);
      assert.deepEqual(fields(ts), { description: 'TypeScript conventions for the web app', globs: '**/*.ts' });
      const react = parse('cursor/.cursor/rules/react.mdc');
      assert.deepEqual(react.problems, []);
      assert.deepEqual(fields(react), { globs: '*.tsx, *.ts' });
    });

    it('Cursor .mdc: the rest of the line is the value (a colon in it, quotes taken off)', () => {
      const doc = parse('cursor/.cursor/rules/review.mdc');
      assert.deepEqual(doc.problems, []);
      assert.deepEqual(fields(doc), { description: 'Review checklist: tests, types, docs', globs: 'src/**/*.ts' });
      assert.equal(unit(doc, 'frontmatter.description').instruction, true);
    });

    it('Cursor .mdc: a field Cursor cannot read either is still one problem, at its line', () => {
      const doc = parse('broken/.cursor/rules/bad-list.mdc');
      assert.equal(doc.problems.length, 1);
      assert.match(doc.problems[0].message, /^Front matter is not valid YAML: Missing closing "quote$/);
      assert.equal(doc.text.slice(0, doc.problems[0].span.start).split('\n').length, 5);
      assert.equal(unit(doc, 'frontmatter.description').text, 'Release checklist');
    });

    it('VS Code prompt files: a value starting with * or ` reads as VS Code reads it', () => {
      const doc = parse('markdown/unquoted.instructions.md');
      assert.deepEqual(doc.problems, []);
      assert.deepEqual(fields(doc), { applyTo: '**/*.ts', description: '`strict` mode for TypeScript files' });
    });

    it('SKILL.md (strict YAML, as Claude Code and the skills CLI load it): a colon in a plain value is reported', () => {
      const doc = parse('broken/skills/colon/SKILL.md');
      assert.equal(doc.problems.length, 1);
      assert.match(doc.problems[0].message, /Nested mappings are not allowed/);
      assert.equal(unit(doc, 'frontmatter.name').text, 'colon');
    });

    it('strict YAML: an alias with no anchor is reported, not dropped', () => {
      const text = '---\nname: x\ndescription: *everything\n---\nBody text.\n';
      const doc = formatFor('skills/x/SKILL.md', text, false)!.parse('skills/x/SKILL.md', text);
      assert.equal(doc.problems.length, 1);
      assert.match(doc.problems[0].message, /unresolved alias \*everything/);
      assert.equal(doc.text.slice(doc.problems[0].span.start, doc.problems[0].span.start + 11), '*everything');
    });
  });

  describe('prompty', () => {
    const doc = parse('prompty/support.prompty');

    it('splits the body into messages labelled with their role', () => {
      const messages = doc.units.filter((u) => u.kind === 'message');
      assert.deepEqual(
        messages.map((m) => [m.id, m.label, m.instruction]),
        [
          ['messages[0]', 'system', true],
          ['messages[1]', 'user', true],
          ['messages[2]', 'assistant', false],
        ],
      );
      assert.match(messages[0].text, /^You are a support agent for Contoso\.\nOnly answer[\s\S]*You are helping \{\{customer\}\}\.$/);
      assert.equal(messages[1].text, '{{question}}');
    });

    it('reads model settings, inputs and tools from the front matter', () => {
      assert.equal(unit(doc, 'model.configuration.api_key').text, '${env:AZURE_OPENAI_KEY}');
      assert.equal(unit(doc, 'model.configuration.api_key').kind, 'config-value');
      assert.equal(unit(doc, 'inputs.customer.description').text, "The customer's first name");
      assert.equal(unit(doc, 'inputs.customer.sample').text, 'Jane');
      const description = unit(doc, 'frontmatter.description');
      assert.equal(description.text, 'Answers customer questions\nabout their orders.');
      assert.equal(sliceOf(doc, unitSpan(description, 27, 32)), 'about');
      const [tool] = doc.tools;
      assert.equal(tool.name, 'lookup_order');
      assert.equal(tool.description?.text, 'Look up an order by its number.');
      assert.equal(tool.parameters[0].name, 'order_id');
      assert.equal(tool.parameters[0].type, 'string');
      // A single-quoted scalar doubles its quotes; the decoded apostrophe maps to both.
      const parameter = unit(doc, 'tools[0].parameters.order_id.description');
      assert.equal(parameter.text, "The order's number, e.g. A-1234");
      const number = parameter.text.indexOf('number');
      assert.equal(sliceOf(doc, unitSpan(parameter, number, number + 6)), 'number');
      assert.equal(sliceOf(doc, unitSpan(parameter, 9, 10)), "''");
    });
  });

  describe('dotprompt', () => {
    const doc = parse('dotprompt/recipe.prompt');

    it('starts a message at each {{role}} marker', () => {
      const messages = doc.units.filter((u) => u.kind === 'message');
      assert.deepEqual(messages.map((m) => [m.label, m.text]), [
        ['system', 'You are a helpful chef. Suggest one recipe.'],
        ['user', 'I have {{ingredients}}. Make it {{style}}.'],
      ]);
    });

    it('reads the description, input defaults and the tools list', () => {
      assert.equal(unit(doc, 'frontmatter.description').instruction, true);
      assert.equal(unit(doc, 'input.default.style').text, 'quick');
      assert.deepEqual(doc.agents[0].allowedTools, ['findRecipe', 'nutritionFacts']);
    });

    it('reads text before any marker as a user message', () => {
      const format = formatFor('q.prompt', '', false);
      assert.ok(format);
      const plain = format.parse('q.prompt', '---\nmodel: m\n---\nTell me about {{topic}}.\n');
      assert.deepEqual(plain.units.filter((u) => u.kind === 'message').map((m) => [m.label, m.text]), [['user', 'Tell me about {{topic}}.']]);
    });
  });

  describe('CrewAI', () => {
    it('maps role, goal and backstory, with delegation and iteration limits', () => {
      const doc = parse('crew/agents.yaml');
      assert.equal(unit(doc, 'researcher.role').kind, 'agent-role');
      assert.equal(unit(doc, 'researcher.goal').kind, 'agent-goal');
      const backstory = unit(doc, 'researcher.backstory');
      assert.equal(backstory.kind, 'agent-backstory');
      // A folded scalar joins lines with a space; the space maps to the line break.
      assert.equal(backstory.text, "You're a seasoned researcher with a knack for uncovering the latest developments in {topic}.");
      const latest = backstory.text.indexOf('latest');
      assert.equal(sliceOf(doc, unitSpan(backstory, latest, latest + 'latest developments'.length)), 'latest\n    developments');
      assert.equal(unit(doc, 'reporting_analyst.role').text, '{topic} Reporting Analyst');
      const [researcher, analyst] = doc.agents;
      assert.deepEqual(
        { name: researcher.name, maxSteps: researcher.maxSteps, allowDelegation: researcher.allowDelegation, tools: researcher.allowedTools, autonomous: researcher.autonomous },
        { name: 'researcher', maxSteps: 15, allowDelegation: false, tools: ['search_tool'], autonomous: true },
      );
      assert.deepEqual({ allowDelegation: analyst.allowDelegation, allowCodeExecution: analyst.allowCodeExecution }, { allowDelegation: true, allowCodeExecution: true });
      assert.equal(sliceOf(doc, researcher.allowedToolsSpan as { start: number; end: number }).trim(), '- search_tool');
      assert.deepEqual(doc.comments, { line: '#' });
    });

    it('maps a task’s description and expected output, and its human checkpoint', () => {
      const doc = parse('crew/tasks.yaml');
      assert.deepEqual(
        doc.units.map((u) => [u.id, u.kind, u.text]),
        [
          ['research_task.description', 'task-description', 'Conduct a thorough research about {topic}.'],
          ['research_task.expected_output', 'task-description', 'A list with 10 bullet points about {topic}'],
        ],
      );
      assert.equal(doc.agents[0].hasHumanCheckpoint, true);
    });
  });

  describe('OpenAI tools', () => {
    const doc = parse('openai/tools.json');
    const [tool] = doc.tools;

    it('decodes escaped descriptions and maps them back to the source', () => {
      assert.equal(doc.format, 'openai-tools');
      assert.equal(tool.name, 'search_files');
      const description = tool.description as Unit;
      assert.equal(description.id, 'tools[0].description');
      assert.equal(description.text, 'Search the "workspace" for files.\nReturns paths.');
      const at = description.text.indexOf('workspace');
      assert.equal(sliceOf(doc, unitSpan(description, at, at + 9)), 'workspace');
      const returns = description.text.indexOf('Returns');
      assert.equal(sliceOf(doc, unitSpan(description, returns - 1, returns)), '\\n');
      const glob = unit(doc, 'tools[0].parameters.filters[].glob.description');
      assert.equal(glob.text, 'A glob \u2014 relative');
      assert.equal(sliceOf(doc, unitSpan(glob, 7, 8)), '\\u2014');
    });

    it('walks nested schemas: properties, items, anyOf and $defs, with constraints', () => {
      const byPath = Object.fromEntries(tool.parameters.map((p) => [p.path, p]));
      assert.deepEqual(Object.keys(byPath), ['query', 'mode', 'filters', 'filters[].glob', 'owner', '$defs.user.email']);
      assert.equal(byPath.query.maxLength, 200);
      assert.equal(byPath.mode.hasEnum, true);
      assert.equal(byPath['filters[].glob'].hasPattern, true);
      assert.equal(byPath['$defs.user.email'].hasFormat, true);
      assert.equal(byPath.query.hasEnum, false);
      assert.equal(byPath.mode.description?.kind, 'parameter-description');
      assert.equal(byPath.mode.description?.label, 'mode');
      assert.equal(tool.insertAnnotationsAt, undefined, 'OpenAI functions carry no MCP annotations');
    });

    it('reads the messages of a request body beside its tools', () => {
      const request = parse('openai/functions.json');
      assert.deepEqual(request.units.filter((u) => u.kind === 'message').map((u) => [u.label, u.text]), [
        ['system', 'You book flights.'],
        ['user', 'Fly me to Oslo.'],
      ]);
      assert.equal(request.tools[0].parameters[0].description?.text, 'Destination city');
    });
  });

  describe('MCP', () => {
    it('reads a tools/list result with annotations and where to insert them', () => {
      const doc = parse('mcp/tools-list.json');
      assert.equal(doc.format, 'mcp-tools');
      const [deleteFile, readFile] = doc.tools;
      assert.equal(deleteFile.description?.id, 'result.tools[0].description');
      assert.equal(deleteFile.annotations, undefined);
      assert.deepEqual(readFile.annotations, { readOnlyHint: true, title: 'Read file' });
      assert.equal(doc.text[(deleteFile.insertAnnotationsAt as number) - 1], '{');
      assert.equal(deleteFile.memberIndent, '        ');
      assert.equal(sliceOf(doc, deleteFile.span).startsWith('{'), true);
      assert.equal(deleteFile.parameters[0].description?.text, 'File to delete');
      assert.equal(doc.isSystemPrompt, false);
      assert.deepEqual(doc.comments, { line: '//', blockStart: '/*', blockEnd: '*/' });
    });

    it('reads client configs: server commands, args, env and auto-approval', () => {
      const vscode = parse('mcp/.vscode/mcp.json');
      assert.equal(vscode.format, 'mcp-config');
      assert.equal(unit(vscode, 'servers.files.args[1]').text, '@modelcontextprotocol/server-filesystem');
      assert.equal(unit(vscode, 'servers.github.headers.Authorization').label, 'Authorization');
      assert.equal(unit(vscode, 'servers.files.env.LOG_LEVEL').kind, 'config-value');
      assert.deepEqual(vscode.agents.map((a) => a.allowedTools), [['read_file', 'list_directory']]);
      assert.equal(vscode.problems.length, 0, 'comments are allowed in JSONC');

      const claude = parse('mcp/claude_desktop_config.json');
      assert.equal(unit(claude, 'mcpServers.shell.command').text, 'uvx');
      assert.equal(claude.agents[0].permissionMode, 'trust');
      assert.equal(sliceOf(claude, claude.agents[0].permissionModeSpan as { start: number; end: number }), 'true');
    });

    it('reads a server manifest', () => {
      const doc = parse('mcp/server.json');
      assert.equal(doc.format, 'mcp-server-manifest');
      assert.equal(unit(doc, 'description').text, 'Weather forecasts for any city.');
      assert.equal(unit(doc, 'packages[0].environmentVariables[0].description').label, 'WEATHER_API_KEY');
      assert.equal(unit(doc, 'remotes[0].url').text, 'https://weather.example.com/mcp');
    });
  });

  describe('Claude Code settings', () => {
    it('turns permissions into agent settings', () => {
      const doc = parse('claude/.claude/settings.json');
      const [agent] = doc.agents;
      assert.equal(agent.permissionMode, 'bypassPermissions');
      assert.equal(sliceOf(doc, agent.permissionModeSpan as { start: number; end: number }), '"bypassPermissions"');
      assert.deepEqual(agent.allowedTools, ['Bash(npm run test:*)', 'Read(~/.zshrc)']);
      assert.equal(unit(doc, 'hooks.PostToolUse[0].hooks[0].command').text, 'npm run lint');
    });
  });

  describe('plain prompts', () => {
    it('reads a named text file as paragraphs', () => {
      const doc = parse('plain/system.txt', true);
      assert.deepEqual(doc.units.map((u) => u.text), ['You are a terse assistant.', 'Answer in one sentence.']);
    });
  });

  describe('files that do not parse', () => {
    it('JSON: one problem at the error, and the tools before it still read', () => {
      const doc = parse('broken/tools.json');
      assert.equal(doc.problems.length, 1);
      assert.match(doc.problems[0].message, /Not valid JSON: comma expected/);
      const { text } = fixture('broken/tools.json');
      const line = text.slice(0, doc.problems[0].span.start).split('\n').length;
      assert.equal(line, 11);
      assert.equal(sliceOf(doc, doc.problems[0].span), '"description"');
      assert.equal(doc.tools[0].description?.text, 'Still read.');
    });

    it('YAML: one problem, and the fields before it still read', () => {
      const doc = parse('broken/agents.yaml');
      assert.equal(doc.problems.length, 1);
      assert.match(doc.problems[0].message, /not valid YAML/);
      assert.ok(doc.problems[0].span.start >= doc.text.indexOf('[unclosed'));
      assert.ok(doc.problems[0].span.end <= doc.text.length);
      assert.equal(unit(doc, 'writer.goal').text, 'Write things');
    });

    it('Prompty: a front-matter problem, and the messages still read', () => {
      const doc = parse('broken/bad.prompty');
      assert.equal(doc.problems.length, 1);
      assert.match(doc.problems[0].message, /^Front matter is not valid YAML/);
      assert.deepEqual(doc.units.filter((u) => u.kind === 'message').map((u) => u.text), ['Still read.']);
    });
  });
});
