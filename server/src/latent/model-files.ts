// Finding and verifying the model's files: model_config.json, the ONNX graph and tokenizer.json
// (where they are: model-paths.ts; their hashes: file-hashes.ts). Every failure is a
// ModelUnavailableError saying why, so the caller can keep the rules running and tell the user.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File, verifiedSha256 } from './file-hashes';
import { canBuildModel, defaultModelDir, modelHint, PACKAGED_MODEL_DIR, packageRoot, REAL_MODEL_NAME } from './model-paths';

export type UnavailableReason = 'missing' | 'corrupt' | 'load-failed' | 'guard-missing' | 'guard-invalid' | 'guard-mismatch';

export class ModelUnavailableError extends Error {
  constructor(
    readonly reason: UnavailableReason,
    message: string,
  ) {
    super(message);
    this.name = 'ModelUnavailableError';
  }
}

/** The parts of model_config.json (written by models/convert.py) the runtime reads. */
export interface ModelConfig {
  name: string;
  n_layers: number;
  hidden_size: number;
  intermediate_size: number;
  n_heads: number;
  n_kv_heads: number;
  head_dim: number;
  vocab_size: number;
  context_length: number;
  pad_token_id: number;
  im_start_token_id: number;
  im_end_token_id: number;
  chat_template: string;
  graphs: Record<string, GraphEntry>;
  default_graph: string;
  /**
   * A graph for scoring only (fp32, truncated after fewer layers; with `prefix: true` it takes the KV
   * prefix too); explain uses the full graph.
   */
  scoring_graph?: string;
  /** The guard graph with mean-ablation inputs (models/build_mediation.py), for the explorer's causal effects. */
  mediation_graph?: string;
  /** The full-depth fp32 graph with past_key/past_value inputs (scoring skips the chat template's fixed prefix). */
  prefix_graph?: string;
  /** An int8 copy of the scoring graph (same interface) that may screen units first (screen.ts). */
  screen_graph?: string;
  /**
   * The packaged copy (scripts/package.mjs) ships no fp32 full graph; this names the one the guard was
   * calibrated on, whose weights the shipped graphs compute (the guard graph exactly, q4 to ~1e-7).
   */
  reference_graph?: { name: string; file: string; sha256: string };
  tokenizer: string;
}

export interface GraphEntry {
  file: string;
  sha256: string;
  bytes: number;
  layers: number;
  weights: string;
  /** past_key/past_value inputs [layers, batch, kv heads, past_len, head dim], present_key/present_value outputs. */
  prefix?: boolean;
}

export interface GraphFile {
  /** Variant name, a key of model_config.json `graphs`. */
  graph: string;
  path: string;
  sha256: string;
  /** Transformer layers in the graph (resid has layers + 1 entries). */
  layers: number;
  /** The graph has the KV-prefix interface (past_key/past_value in, present_key/present_value out). */
  prefix: boolean;
}

export interface ModelFiles {
  dir: string;
  config: ModelConfig;
  /** The graph variant chosen (a key of config.graphs); the stand-in's name when one runs in its place. */
  graph: string;
  graphPath: string;
  /** The plain graph's sha256 (the weights the guard was calibrated on). */
  graphSha256: string;
  /** The sha256 of the file at graphPath (model_config.json's entry for it; checked again at load). */
  graphFileSha256: string;
  /** True when the plain graph is absent and the prefix graph (same weights) runs in its place. */
  prefixStandsIn: boolean;
  /**
   * The graph running in place of an absent default graph (explain needs every layer): the full-depth
   * prefix graph (with an empty past), else the q4 graph (the GGUF's own Q4_1 blocks: the same model).
   */
  standIn?: string;
  tokenizerPath: string;
  tokenizerSha256: string;
  tokenizerConfigPath?: string;
  /** The truncated scoring graph, when the config names one, it is intact and no graph was forced. */
  scoring?: GraphFile;
  /** The mediation graph, when the config names one and it is intact (explorer only; optional). */
  mediation?: GraphFile;
  /** The KV-prefix graph, when the config names one, it is intact and no graph was forced. */
  prefix?: GraphFile;
  /** The int8 screen graph, when the config names one, it is intact and no graph was forced. */
  screen?: GraphFile;
  /** Graphs that are there but corrupt, each with what runs instead: said to the user, never silent. */
  warnings: string[];
}

export interface LocateOptions {
  /** A model folder; default: $LATENT_LINT_MODEL_DIR, else models/build/<name> above this file. */
  modelDir?: string;
  /** Graph variant (fp32, int8, q4); default: $LATENT_LINT_GRAPH, else the config's default_graph. */
  graph?: string;
  /** Check sha256 of graph and tokenizer against model_config.json (default true). */
  verify?: boolean;
}

export function locateModelFiles(options: LocateOptions = {}): ModelFiles {
  const dir = options.modelDir ?? defaultModelDir();
  if (!dir) {
    const expected = canBuildModel() ? path.join(packageRoot() ?? '.', 'models', 'build', REAL_MODEL_NAME) : path.join(packageRoot() ?? '.', PACKAGED_MODEL_DIR);
    const hint = canBuildModel() ? modelHint() : 'reinstall the extension (.vsix), which ships the model there';
    throw new ModelUnavailableError('missing', `model folder ${expected} not found; ${hint}`);
  }
  const hint = modelHint(dir);
  const configPath = path.join(dir, 'model_config.json');
  if (!fs.existsSync(configPath)) throw new ModelUnavailableError('missing', `${configPath} is missing; ${hint}`);
  let config: ModelConfig;
  try {
    config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as ModelConfig;
  } catch (error) {
    throw new ModelUnavailableError('corrupt', `${configPath} is not valid JSON (${(error as Error).message}); ${hint}`);
  }
  for (const key of ['n_layers', 'hidden_size', 'intermediate_size', 'pad_token_id', 'im_start_token_id', 'im_end_token_id'] as const) {
    if (!Number.isInteger(config[key])) throw new ModelUnavailableError('corrupt', `${configPath}: "${key}" is missing or not a whole number`);
  }
  const graph = options.graph ?? process.env.LATENT_LINT_GRAPH ?? config.default_graph;
  const entry = config.graphs?.[graph];
  if (!entry) {
    throw new ModelUnavailableError('missing', `${configPath} lists no "${graph}" graph (has: ${Object.keys(config.graphs ?? {}).join(', ') || 'none'})`);
  }
  const forced = options.graph ?? process.env.LATENT_LINT_GRAPH;
  const tokenizerPath = path.join(dir, config.tokenizer ?? 'tokenizer.json');
  if (!fs.existsSync(tokenizerPath)) throw new ModelUnavailableError('missing', `${tokenizerPath} is missing; ${hint}`);
  // An optional graph (prefix, scoring) that is missing or corrupt is not fatal: another graph does its
  // work. A corrupt one is named in `warnings` (a larger graph then runs: slower, more memory).
  const warnings: string[] = [];
  const corrupt: string[] = [];
  const optionalGraph = (name: string | undefined, corruptInto = corrupt): GraphFile | undefined => {
    const optional = name ? config.graphs[name] : undefined;
    if (!name || !optional) return undefined;
    const file = path.join(dir, optional.file);
    if (!fs.existsSync(file)) return undefined;
    if (options.verify !== false && !verifiedSha256(file, optional.sha256)) {
      corruptInto.push(`${optional.file} (the ${name} graph)`);
      return undefined;
    }
    return { graph: name, path: file, sha256: optional.sha256, layers: optional.layers, prefix: optional.prefix === true };
  };
  // The prefix graph has the default graph's fp32 weights: used only with that graph, never a forced one.
  // Without it, scoring runs the whole prompt through the plain graph.
  const prefixGraph = forced ? undefined : optionalGraph(config.prefix_graph);
  const prefix: GraphFile | undefined = prefixGraph && { ...prefixGraph, prefix: true };
  let graphPath = path.join(dir, entry.file);
  // A development build without model.onnx: with an empty past the prefix graph computes exactly what the
  // plain graph does (verified bit for bit by models/verify_prefix.py), so it stands in for it.
  // (A packaged config may also name the prefix graph as its default graph: it then runs with an empty past too.)
  const prefixStandsIn = prefix !== undefined && graph === config.default_graph && (!fs.existsSync(graphPath) || graph === config.prefix_graph);
  let standIn: string | undefined;
  let runningGraph = graph;
  let graphFileSha256 = entry.sha256;
  if (prefixStandsIn && prefix) {
    graphPath = prefix.path;
    graphFileSha256 = prefix.sha256;
    standIn = prefix.graph;
  } else if (!fs.existsSync(graphPath) && !forced && graph === config.default_graph) {
    // Else the q4 graph (the GGUF's own Q4_1 blocks as MatMulNBits: numerically the same model).
    const q4 = config.graphs.q4;
    const q4Path = q4 && !q4.prefix && q4.layers === config.n_layers ? path.join(dir, q4.file) : undefined;
    if (q4 && q4Path && fs.existsSync(q4Path)) {
      if (options.verify !== false && !verifiedSha256(q4Path, q4.sha256)) {
        throw new ModelUnavailableError('corrupt', `${q4Path} does not match its sha256 in model_config.json (corrupt or partly written); ${hint}`);
      }
      graphPath = q4Path;
      graphFileSha256 = q4.sha256;
      standIn = runningGraph = 'q4';
    }
  }
  if (!fs.existsSync(graphPath)) throw new ModelUnavailableError('missing', `${graphPath} is missing; ${hint}`);
  if (!standIn && options.verify !== false && !verifiedSha256(graphPath, entry.sha256)) {
    throw new ModelUnavailableError('corrupt', `${graphPath} does not match its sha256 in model_config.json (corrupt or partly written); ${hint}`);
  }
  // Without the scoring graph, the full graph scores too.
  const scoring = forced || config.scoring_graph === graph ? undefined : optionalGraph(config.scoring_graph);
  const mediation = forced ? undefined : optionalGraph(config.mediation_graph);
  // A corrupt screen costs speed only: said apart from the graphs that change what runs instead.
  const screenCorrupt: string[] = [];
  const screen = forced || !scoring ? undefined : optionalGraph(config.screen_graph, screenCorrupt);
  if (screenCorrupt.length) warnings.push(`${screenCorrupt[0]} does not match its sha256 in model_config.json (corrupt or partly written); scoring in fp32 without the int8 screen (the same findings, slower); ${hint}`);
  if (corrupt.length) {
    const instead = scoring ? `${scoring.graph} graph` : prefix ? `full-depth ${prefix.graph} graph` : `${runningGraph} graph`;
    warnings.push(`${corrupt.join(' and ')} ${corrupt.length > 1 ? 'do' : 'does'} not match ${corrupt.length > 1 ? 'their' : 'its'} sha256 in model_config.json (corrupt or partly written); scoring with the ${instead} instead (same scores, slower, about twice the memory); ${hint}`);
  }
  // The packaged config's default graph (q4) computes the reference fp32 graph's model: the guard's check is against that.
  const graphSha256 = graph === config.default_graph && config.reference_graph?.sha256 ? config.reference_graph.sha256 : entry.sha256;
  const tokenizerSha256 = sha256File(tokenizerPath);
  const tokenizerConfigPath = path.join(dir, 'tokenizer_config.json');
  return {
    dir,
    config,
    graph: runningGraph,
    graphPath,
    graphSha256,
    graphFileSha256,
    prefixStandsIn,
    standIn,
    tokenizerPath,
    tokenizerSha256,
    tokenizerConfigPath: fs.existsSync(tokenizerConfigPath) ? tokenizerConfigPath : undefined,
    scoring,
    mediation,
    prefix,
    screen,
    warnings,
  };
}

const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

function fileSize(file: string): string {
  try {
    return MB(fs.statSync(file).size);
  } catch {
    return 'missing';
  }
}

/** The graph files a load reads, with sizes, for the log (best effort: the load itself says why it fails). */
export function describeGraphs(): string {
  try {
    const files = locateModelFiles({ verify: false });
    const graphs = [`${files.graph} ${files.graphPath} (${fileSize(files.graphPath)})`];
    if (files.scoring && files.scoring.path !== files.graphPath) graphs.push(`scoring ${files.scoring.graph} ${files.scoring.path} (${fileSize(files.scoring.path)})`);
    if (files.prefix && files.prefix.path !== files.graphPath) graphs.push(`prefix ${files.prefix.graph} ${files.prefix.path} (${fileSize(files.prefix.path)})`);
    return graphs.join('; ');
  } catch (error) {
    return (error as Error).message;
  }
}

/** The full-depth graph with a `logits` output that reads fastest: q4 when it is there and intact, else the default graph. */
export function fullGraphWithLogits(files: ModelFiles): { graph: string; path: string; sha256: string } | undefined {
  const q4 = files.config.graphs.q4 as GraphEntry | undefined;
  if (q4 && q4.layers === files.config.n_layers && !q4.prefix) {
    const file = path.join(files.dir, q4.file);
    if (fs.existsSync(file)) return { graph: 'q4', path: file, sha256: q4.sha256 };
  }
  // The default graph (or the prefix graph standing in for it) has every layer and the LM head.
  return { graph: files.graph, path: files.graphPath, sha256: files.graphFileSha256 };
}
