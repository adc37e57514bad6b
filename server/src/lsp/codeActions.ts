// Code actions for findings: the rule's fix, suppression comments in the host file's syntax,
// the rule's documentation, the Latent Explorer, and `source.fixAll.latent-lint`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CommentSyntax, Finding, Fix } from '../core/types';
import { COMMANDS, FIX_ALL_KIND, type ExplainCommandArgs } from '../protocol/messages';
import { IGNORE_FILE_NAME } from '../engine/ignore';
import { parseDirectives, type Directive, type DirectiveKind } from '../engine/suppressions';
import { LineIndex } from '../engine/text';
import { FRONT_MATTER } from '../formats/yaml';
import { URI } from '../uri';
import { diagnosticData, type DiagnosticData } from './diagnostics';

/** The placeholder after `--` in an inserted directive: the reviewer is asked to say why. */
export const SUPPRESSION_REASON = 'reason';

/** The first directive of `kind` on a line that names rules (one more can be added to it), as the engine reads directives. */
function directiveOn(line: string, kind: DirectiveKind): Directive | undefined {
  return parseDirectives(line, new LineIndex(line)).find((directive) => directive.kind === kind && directive.ruleIds.length > 0);
}

export interface CodeActionInput {
  document: TextDocument;
  diagnostics: Diagnostic[];
  /** Comment syntax of the file's format (from the parsed document); undefined if unknown. */
  comments?: CommentSyntax;
  /** Requested kinds (CodeActionContext.only). */
  only?: string[];
  /** Every current finding, for fix-all. */
  findings: Finding[];
  /** Where a file without comments can be ignored instead (a `.latentlintignore` line). */
  ignoreFile?: IgnoreFileTarget;
}

/** A `.latentlintignore` to append a line to: its URI, its text now (undefined: to be created). */
export interface IgnoreFileTarget {
  uri: string;
  text: string | undefined;
  /** The line to add: the file's path relative to the ignore file's folder. */
  entry: string;
}

function wants(only: string[] | undefined, kind: string): boolean {
  return !only || only.some((requested) => kind === requested || kind.startsWith(`${requested}.`));
}

export function codeActions(input: CodeActionInput): CodeAction[] {
  const { document, only } = input;
  const actions: CodeAction[] = [];
  if (wants(only, CodeActionKind.QuickFix)) {
    const seenRules = new Set<string>();
    let ignoreOffered = false;
    for (const diagnostic of input.diagnostics) {
      const data = diagnosticData(diagnostic);
      if (!data) continue;
      const fix = data.fix && data.version === document.version ? fixAction(document, diagnostic, data.fix) : undefined;
      if (fix) actions.push(fix);
      // The fixes of the findings grouped under this one (same paragraph or description).
      if (data.version === document.version) {
        for (const other of data.related ?? []) if (other.fix) actions.push({ ...fixAction(document, diagnostic, other.fix), isPreferred: false });
      }
      const line = suppressLineAction(document, diagnostic, [data.ruleId], input.comments);
      if (line) actions.push(line);
      // One problem, one directive: the rules of the findings grouped under this diagnostic too.
      const grouped = [...new Set([data.ruleId, ...(data.related ?? []).map((other) => other.ruleId)])];
      const all = grouped.length > 1 ? suppressLineAction(document, diagnostic, grouped, input.comments) : undefined;
      if (all) actions.push(all);
      if (seenRules.has(data.ruleId)) continue;
      seenRules.add(data.ruleId);
      const file = suppressFileAction(document, diagnostic, data, input.comments);
      if (file) actions.push(file);
      else if (input.ignoreFile && !ignoreOffered) {
        ignoreOffered = true;
        actions.push(ignoreFileAction(diagnostic, input.ignoreFile));
      }
      actions.push({
        title: `Open documentation for ${data.ruleId}`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        command: { title: `Open documentation for ${data.ruleId}`, command: COMMANDS.openRuleDocumentation, arguments: [data.ruleId] },
      });
      const explainArgs: ExplainCommandArgs = { uri: document.uri, range: diagnostic.range };
      actions.push({
        title: 'Explain in Latent Explorer',
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        command: { title: 'Explain in Latent Explorer', command: COMMANDS.explainSelection, arguments: [explainArgs] },
      });
    }
  }
  if (only && (wants(only, FIX_ALL_KIND) || only.includes(CodeActionKind.SourceFixAll))) {
    const all = fixAllAction(document, input.findings);
    if (all) actions.push(all);
  }
  return actions;
}

function toTextEdits(document: TextDocument, fix: Fix): TextEdit[] {
  return fix.edits.map((edit) => ({
    range: { start: document.positionAt(edit.span.start), end: document.positionAt(edit.span.end) },
    newText: edit.newText,
  }));
}

function fixAction(document: TextDocument, diagnostic: Diagnostic, fix: Fix): CodeAction {
  return {
    title: fix.title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: true,
    edit: { changes: { [document.uri]: toTextEdits(document, fix) } },
  };
}

/** Every fix that does not overlap an earlier one, as one edit. */
export function fixAllAction(document: TextDocument, findings: Finding[]): CodeAction | undefined {
  const edits: { start: number; end: number; edit: TextEdit }[] = [];
  const fixes = findings.filter((finding) => finding.fix && !finding.suppressed).sort((a, b) => a.span.start - b.span.start);
  for (const finding of fixes) {
    const spans = finding.fix!.edits.map((edit) => edit.span);
    const overlaps = spans.some((span) => edits.some((taken) => span.start < taken.end && taken.start < span.end));
    if (overlaps) continue;
    const textEdits = toTextEdits(document, finding.fix!);
    finding.fix!.edits.forEach((edit, i) => edits.push({ start: edit.span.start, end: edit.span.end, edit: textEdits[i] }));
  }
  if (edits.length === 0) return undefined;
  return {
    title: 'Fix all auto-fixable Latent Lint problems',
    kind: FIX_ALL_KIND,
    edit: { changes: { [document.uri]: edits.map((entry) => entry.edit) } },
  };
}

/** The line's comment syntax: YAML front matter in a Markdown file takes `#`. */
export function commentSyntaxAt(text: string, offset: number, comments: CommentSyntax | undefined): CommentSyntax | undefined {
  if (comments?.blockStart === '<!--') {
    const frontMatter = FRONT_MATTER.exec(text);
    if (frontMatter && offset < frontMatter[0].length) return { line: '#' };
  }
  if (!comments || (!comments.line && !comments.blockStart)) return undefined;
  return comments;
}

function comment(syntax: CommentSyntax, body: string): string {
  if (syntax.line) return `${syntax.line} ${body}`;
  return `${syntax.blockStart} ${body} ${syntax.blockEnd ?? ''}`.trimEnd();
}

function lineText(document: TextDocument, line: number): string {
  return document.getText({ start: { line, character: 0 }, end: { line, character: Number.MAX_SAFE_INTEGER } }).replace(/\r?\n$/, '');
}

function suppressLineAction(document: TextDocument, diagnostic: Diagnostic, ruleIds: string[], comments: CommentSyntax | undefined): CodeAction | undefined {
  const line = diagnostic.range.start.line;
  const text = document.getText();
  const syntax = commentSyntaxAt(text, document.offsetAt({ line, character: 0 }), comments);
  if (!syntax) return undefined;
  const title = `Suppress ${ruleIds.join(', ')} for this line`;
  // A directive already on the line above: name one more rule in it rather than stacking comments.
  if (line > 0) {
    const existing = directiveOn(lineText(document, line - 1), 'disable-next-line');
    if (existing) {
      const at = existing.idsEnd;
      return {
        title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: { changes: { [document.uri]: [{ range: { start: { line: line - 1, character: at }, end: { line: line - 1, character: at } }, newText: `, ${ruleIds.join(', ')}` }] } },
      };
    }
  }
  const indent = /^[ \t]*/.exec(lineText(document, line))![0];
  const newText = `${indent}${comment(syntax, `latent-lint-disable-next-line ${ruleIds.join(', ')} -- ${SUPPRESSION_REASON}`)}${eol(text)}`;
  return {
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: { changes: { [document.uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText }] } },
  };
}

function suppressFileAction(document: TextDocument, diagnostic: Diagnostic, data: DiagnosticData, comments: CommentSyntax | undefined): CodeAction | undefined {
  const text = document.getText();
  const frontMatter = comments?.blockStart === '<!--' ? FRONT_MATTER.exec(text) : null;
  const offset = frontMatter ? frontMatter[0].length : 0;
  const syntax = commentSyntaxAt(text, offset, comments);
  if (!syntax) return undefined;
  const title = `Suppress ${data.ruleId} for this file`;
  const position = document.positionAt(offset);
  const existing = directiveOn(lineText(document, position.line), 'disable');
  if (existing) {
    const at = existing.idsEnd;
    return {
      title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: { changes: { [document.uri]: [{ range: { start: { line: position.line, character: at }, end: { line: position.line, character: at } }, newText: `, ${data.ruleId}` }] } },
    };
  }
  // After front matter the file must keep its shape: the directive goes on a line of its own.
  const newText = `${comment(syntax, `latent-lint-disable ${data.ruleId} -- ${SUPPRESSION_REASON}`)}${eol(text)}`;
  const needsBreak = offset > 0 && offset === text.length && !text.endsWith('\n');
  return {
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: { changes: { [document.uri]: [{ range: { start: position, end: position }, newText: needsBreak ? `${eol(text)}${newText}` : newText }] } },
  };
}

/** The `.latentlintignore` of the workspace folder holding the file (its open text wins over the disk). */
export function ignoreFileTarget(uri: string, folders: readonly string[], openText: (uri: string) => string | undefined): IgnoreFileTarget | undefined {
  if (!uri.startsWith('file:')) return undefined;
  const filePath = URI.toFilePath(uri);
  const folder = folders
    .filter((candidate) => !path.relative(candidate, filePath).startsWith('..'))
    .sort((a, b) => b.length - a.length)[0];
  if (!folder) return undefined;
  const ignorePath = path.join(folder, IGNORE_FILE_NAME);
  const ignoreUri = URI.fromFilePath(ignorePath);
  let text = openText(ignoreUri);
  if (text === undefined) {
    try {
      text = fs.readFileSync(ignorePath, 'utf8');
    } catch {
      text = undefined;
    }
  }
  const entry = `/${path.relative(folder, filePath).split(path.sep).join('/')}`;
  return { uri: ignoreUri, text, entry };
}

/** For a file that cannot hold a comment (plain JSON): add it to `.latentlintignore`. */
function ignoreFileAction(diagnostic: Diagnostic, target: IgnoreFileTarget): CodeAction {
  const title = `Ignore this file in .latentlintignore`;
  const line = `${target.entry}\n`;
  if (target.text === undefined) {
    return {
      title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      edit: {
        documentChanges: [
          { kind: 'create', uri: target.uri, options: { ignoreIfExists: true } },
          { textDocument: { uri: target.uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: line }] },
        ],
      },
    };
  }
  const lines = target.text.split('\n');
  const end = { line: lines.length - 1, character: lines[lines.length - 1].length };
  const newText = target.text.length === 0 || target.text.endsWith('\n') ? line : `\n${line}`;
  return {
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit: { documentChanges: [{ textDocument: { uri: target.uri, version: null }, edits: [{ range: { start: end, end }, newText }] }] },
  };
}

function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}
