// The shared words of the engine: types only, no logic.
// Everything below core imports from here; core imports nothing.

export type Severity = 'error' | 'warning' | 'info' | 'off';

/** Zero-based source offsets into the file's text, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/** Zero-based line/character position, as LSP uses. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** What a unit of text is, so rules and the latent guard can pick what they read. */
export type UnitKind =
  | 'prose' // a paragraph of a prompt or instruction file
  | 'message' // a chat message in a template (system/user/assistant)
  | 'frontmatter-field' // a field of YAML front matter (description, tools, ...)
  | 'tool-name'
  | 'tool-description'
  | 'parameter-description'
  | 'agent-role'
  | 'agent-goal'
  | 'agent-backstory'
  | 'task-description'
  | 'config-value'; // any other string value worth reading (a server command, an env value)

/**
 * A piece of text with exact source ranges. `text` is the decoded text (JSON escapes undone).
 * When the text is not a verbatim slice of the source, `sourceOffsets` has text.length + 1 entries:
 * entry i is where text[i] starts in the source, the last one is where the text ends.
 */
export interface Unit {
  /** Stable within the file, e.g. `tools[0].parameters.path.description`. */
  id: string;
  kind: UnitKind;
  text: string;
  /** Where the text sits in the source. */
  span: Span;
  /** Absent when text === source.slice(span.start, span.end). */
  sourceOffsets?: number[];
  /** For a message or front-matter field: its role or key. */
  label?: string;
  /** True for text that is an instruction to a model (scored by the latent guard). */
  instruction: boolean;
  /**
   * Set when the text was read through a YAML alias (`goal: *p`): where the anchored text sits. The
   * unit's span is the alias, so findings point there; fixes are dropped (they would edit the alias).
   */
  aliasOf?: Span;
}

/** A JSON-schema-like parameter of a tool, with where its parts sit. */
export interface ToolParameter {
  name: string;
  path: string;
  type?: string;
  description?: Unit;
  /** Constraints that bound what the parameter accepts. */
  hasEnum: boolean;
  hasPattern: boolean;
  hasFormat: boolean;
  maxLength?: number;
  nameSpan: Span;
}

/** A tool an agent can call: OpenAI function, MCP tool, or a tool named in an agent config. */
export interface ToolDefinition {
  name: string;
  nameSpan: Span;
  description?: Unit;
  parameters: ToolParameter[];
  /** MCP annotations, if the format carries them (destructiveHint, readOnlyHint, ...). */
  annotations?: Record<string, unknown>;
  /** Where an annotation object could be inserted (offset just after the tool's opening brace). */
  insertAnnotationsAt?: number;
  /** Indentation used for members of the tool object, for inserted text. */
  memberIndent?: string;
  span: Span;
}

/** An agent or a client configuration: permissions and limits a rule can judge. */
export interface AgentSettings {
  span: Span;
  /** Tools allowed; `['*']` for all. */
  allowedTools?: string[];
  allowedToolsSpan?: Span;
  /** Permission mode such as `bypassPermissions`, `yolo`, `auto-approve`. */
  permissionMode?: string;
  permissionModeSpan?: Span;
  /** Limits: max steps / iterations; a human checkpoint such as `human_input: true`. */
  maxSteps?: number;
  hasHumanCheckpoint?: boolean;
  /** True when the file is an agent definition for which autonomy limits matter. */
  autonomous?: boolean;
  /** The agent's (or server's, or task's) name in the file, for messages. */
  name?: string;
  /** CrewAI `allow_delegation` / `allow_code_execution`. */
  allowDelegation?: boolean;
  allowCodeExecution?: boolean;
}

/** How the host format writes a comment, for suppression directives and inserted text. */
export interface CommentSyntax {
  line?: string; // '#', '//'
  blockStart?: string; // '<!--', '/*'
  blockEnd?: string; // '-->', '*/'
}

export interface ParseProblem {
  message: string;
  span: Span;
}

/** A file mapped to what rules and the guard read. */
export interface ParsedDocument {
  uri: string;
  /** The format id that parsed it, e.g. `markdown-prompt`, `mcp-tools`. */
  format: string;
  text: string;
  units: Unit[];
  tools: ToolDefinition[];
  agents: AgentSettings[];
  comments: CommentSyntax;
  /** True when the file as a whole is a system prompt / instructions to a model. */
  isSystemPrompt: boolean;
  problems: ParseProblem[];
}

/**
 * What a format looks at to decide whether it reads a file: the name, and the content only when it
 * asks (read and parsed once, shared by every format that sniffs it and by the one that parses it).
 */
export interface FileProbe {
  readonly fileName: string;
  /** The user named the file (or the config lists it as a prompt). */
  readonly explicit: boolean;
  /** The file's text (in a folder walk, its first few KB), read when first asked for. */
  text(): string;
  /** `read(text())` (a JSON or YAML parser), once per probe and syntax. */
  tree<T>(syntax: string, read: (text: string) => T): T;
}

/** A file format: says which files it reads (by name, some by a sniff of the parsed tree), then maps text to units. */
export interface Format {
  id: string;
  description: string;
  /**
   * The files it reads by name, as globs on the path (`**` for any folder). The client's document
   * selector, `activationEvents` and the README's list are generated from these.
   */
  patterns: readonly string[];
  /** Editor languages its files open in (the extension activates on them). */
  languages: readonly string[];
  /** It also reads files by their content (a JSON shape): the client sends every file in `languages`. */
  sniffsContent?: boolean;
  /** True if this format reads the file. */
  matches(file: FileProbe): boolean;
  /** `file`: the probe `matches` saw; its parsed tree is reused when it read this same text. */
  parse(uri: string, text: string, file?: FileProbe): ParsedDocument;
}

export interface TextEdit {
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export type RuleCategory =
  | 'injection'
  | 'jailbreak'
  | 'secrets'
  | 'pii'
  | 'unicode'
  | 'tool'
  | 'agent'
  | 'hygiene'
  | 'latent'
  | 'parse';

export interface RuleMeta {
  /** `group/rule-name`, kebab-case, never renamed once published. */
  id: string;
  category: RuleCategory;
  defaultSeverity: Exclude<Severity, 'off'>;
  /**
   * Its severity under `extends: strict` (ESLint's `strict` beside `recommended`), for a best-practice
   * rule that fires on too many real benign files to be a warning by default; absent: the default.
   */
  strictSeverity?: Exclude<Severity, 'off'>;
  /** One sentence: what it finds and why it matters. */
  description: string;
  /** Link to the rule's page. */
  docsUrl: string;
  fixable: boolean;
}

/** What a rule says about one place. */
export interface RuleReport {
  span: Span;
  message: string;
  fix?: Fix;
  /** Extra data for quick-fixes and the explorer. */
  data?: Record<string, unknown>;
}

export interface RuleContext {
  document: ParsedDocument;
  /** Options from config for this rule (data only). */
  options: Record<string, unknown>;
  report(report: RuleReport): void;
}

/** A policy rule: deterministic, pure, one file each. May be async (library-backed detectors). */
export interface Rule {
  meta: RuleMeta;
  check(context: RuleContext): void | Promise<void>;
}

export interface Finding {
  ruleId: string;
  severity: Exclude<Severity, 'off'>;
  message: string;
  span: Span;
  range: Range;
  docsUrl: string;
  fix?: Fix;
  data?: Record<string, unknown>;
  /** Set when an in-source directive suppressed it (kept for SARIF; hidden elsewhere). */
  suppressed?: { kind: 'inSource'; justification?: string };
  /** The id of the unit (paragraph, message, description) the finding sits in, if any. */
  unitId?: string;
  /** Other findings in the same unit, shown as one problem with this one (set by grouping). */
  related?: Finding[];
}

export interface FileResult {
  filePath: string;
  format: string;
  findings: Finding[];
  /** Directives that suppressed nothing (reported when asked). */
  unusedDirectives: Finding[];
  /** Why the file was skipped or only partly linted (binary, too large, model unavailable). */
  notes: string[];
}

/**
 * The asynchronous scorer the engine can plug in (the latent guard). Returns findings for the units
 * it judged; it must honour the abort signal and may return [] when unavailable.
 */
export interface UnitScorer {
  readonly id: string;
  /** The rules it reports under, known before it runs (so config files may name them). */
  readonly metas?: readonly RuleMeta[];
  /** `options.threshold`: the probability threshold from the file's config (undefined: the scorer's own). */
  score(document: ParsedDocument, signal?: AbortSignal, options?: UnitScoreOptions): Promise<RuleReportWithRule[]>;
}

/** How far a scorer is through one file's units. */
export interface ScoreProgress {
  /** Units answered so far (from the cache or the model). */
  scored: number;
  /** Units the scorer reads in this file. */
  total: number;
  /** Tokens the model read for this file so far. */
  tokens: number;
}

export interface UnitScoreOptions {
  threshold?: number;
  /** The most tokens the model may read for this file; units past it are reported as not scored. */
  maxTokens?: number;
  /** Called as units are scored (a long file takes a while). */
  onProgress?(progress: ScoreProgress): void;
}

export interface RuleReportWithRule extends RuleReport {
  ruleId: string;
  severity: Exclude<Severity, 'off'>;
  docsUrl: string;
}
