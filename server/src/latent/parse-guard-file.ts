// Reads models/latent-guard.json: its shape checked by ajv against guard-file.schema.json, then what a
// schema cannot say (vector lengths, layer indices up to nLayers, layers named in "layers", one weight
// per detector layer, concept names, the surprisal window and mask), then vectors decoded into
// Float32Arrays. Every error names the field, as `file: path: reason`.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  CONCEPT_NAMES,
  GuardFileError,
  type ConceptName,
  type GuardConcept,
  type GuardFile,
  type GuardFileJson,
  type GuardLayer,
  type GuardProbe,
  type GuardProbeJson,
  type VectorJson,
} from './guard-file';
// Inlined by esbuild into the bundles, so the packaged server needs no schema file beside it.
import schema from './guard-file.schema.json';

type SchemaNode = { type?: string | string[]; $ref?: string; 'x-reason'?: string; [key: string]: unknown };

// strictNumbers: an object handed in directly may hold NaN or Infinity, which JSON cannot.
const ajv = new Ajv({ strictNumbers: true, verbose: true });
// The message for a field that breaks the constraint beside it (an annotation: it validates nothing).
ajv.addKeyword({ keyword: 'x-reason', schemaType: 'string' });
let validateShape: ValidateFunction<GuardFileJson> | undefined;

/** Validates JSON text (or an already parsed object) against the guard file's schema. */
export function parseGuardFile(input: string | unknown, file = 'latent-guard.json'): GuardFile {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (error) {
      throw new GuardFileError(file, '', `not valid JSON (${(error as Error).message})`);
    }
  }
  // Compiled on first use: the CLI's rules-only runs never pay for it.
  validateShape ??= ajv.compile<GuardFileJson>(schema);
  if (!validateShape(raw)) {
    // Ajv stops at the first failing keyword; an anyOf's own error comes after its branches'.
    const error = validateShape.errors?.at(-1);
    if (!error) throw new GuardFileError(file, '', 'does not match the guard file schema');
    const { path, reason } = describe(error);
    throw new GuardFileError(file, path, reason);
  }
  return decode(raw, (path, reason) => {
    throw new GuardFileError(file, path, reason);
  });
}

/** An ajv error as the field's path (`layers[1].refusalStd`) and a reason a calibration author can act on. */
function describe(error: ErrorObject): { path: string; reason: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, segment) => (/^\d+$/.test(segment) ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment), '');
  const node = resolve(error.parentSchema as SchemaNode | undefined);
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const properties = (node?.properties ?? {}) as Record<string, SchemaNode>;
      return { path: path ? `${path}.${missing}` : missing, reason: `${expected(resolve(properties[missing]))}, but it is missing` };
    }
    case 'type':
      return { path, reason: typePhrase((error.params as { type: string | string[] }).type) };
    case 'const':
      return { path, reason: `expected ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}, got ${JSON.stringify(error.data)}` };
    case 'enum':
      return { path, reason: `expected ${((error.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(' or ')}` };
    default:
      return { path, reason: node?.['x-reason'] ?? (error.message ?? 'is not valid') };
  }
}

/** A local `$ref` followed to its definition. */
function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  const ref = node?.$ref?.match(/^#\/definitions\/(.+)$/)?.[1];
  return ref ? (schema.definitions as Record<string, SchemaNode>)[ref] : node;
}

function expected(node: SchemaNode | undefined): string {
  if (node?.type) return typePhrase(node.type);
  if (node && 'const' in node) return `expected ${JSON.stringify(node.const)}`;
  return node?.['x-reason'] ?? 'expected a value';
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a finite number',
  integer: 'a whole number',
  boolean: 'true or false',
  null: 'null',
};

function typePhrase(type: string | string[]): string {
  const types = Array.isArray(type) ? type : type.split(',');
  return `expected ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`;
}

/** The checks past the schema, and the decoded guard. `raw` has the schema's shape. */
function decode(raw: GuardFileJson, fail: (path: string, reason: string) => never): GuardFile {
  const L = raw.model.nLayers;
  const H = raw.model.hiddenSize;
  const vector = (value: VectorJson, path: string, length: number): Float32Array => {
    let out: Float32Array;
    if (typeof value === 'string') {
      const bytes = Buffer.from(value, 'base64');
      if (bytes.length % 4 !== 0) fail(path, 'base64 vector must decode to a whole number of float32 values');
      out = new Float32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
    } else {
      out = Float32Array.from(value);
    }
    if (out.length !== length) fail(path, `expected ${length} values, got ${out.length}`);
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) fail(`${path}[${i}]`, 'not a finite number');
    return out;
  };
  const inRange = (value: number, path: string, max: number): number => {
    if (value > max) fail(path, `expected a whole number in 0..${max}`);
    return value;
  };
  const layerIndex = (value: number, path: string): number => inRange(value, path, L);

  const layers = raw.layers.map((entry, i): GuardLayer => {
    const path = `layers[${i}]`;
    const harmfulCentroid = vector(entry.harmfulCentroid, `${path}.harmfulCentroid`, H);
    const harmlessCentroid = vector(entry.harmlessCentroid, `${path}.harmlessCentroid`, H);
    const harmDirection = new Float32Array(H);
    for (let k = 0; k < H; k++) harmDirection[k] = harmfulCentroid[k] - harmlessCentroid[k];
    normalise(harmDirection);
    return {
      layer: layerIndex(entry.layer, `${path}.layer`),
      harmfulCentroid,
      harmlessCentroid,
      center: entry.center === undefined ? undefined : vector(entry.center, `${path}.center`, H),
      refusalDirection: vector(entry.refusalDirection, `${path}.refusalDirection`, H),
      refusalMean: entry.refusalMean,
      refusalStd: entry.refusalStd,
      harmDirection,
    };
  });
  const byLayer = new Map<number, GuardLayer>();
  for (const layer of layers) {
    if (byLayer.has(layer.layer)) fail('layers', `layer ${layer.layer} appears twice`);
    byLayer.set(layer.layer, layer);
  }
  const known = (value: number, path: string): number => {
    if (!byLayer.has(layerIndex(value, path))) fail(path, `layer ${value} has no entry in "layers"`);
    return value;
  };
  const knownList = (values: number[], path: string): number[] => values.map((v, i) => known(v, `${path}[${i}]`));
  const probeList = (probes: GuardProbeJson[], at: string): GuardProbe[] =>
    probes.map((probe, i) => ({
      layer: layerIndex(probe.layer, `${at}[${i}].layer`),
      position: probe.position,
      vector: vector(probe.vector, `${at}[${i}].vector`, H),
      offset: probe.offset,
    }));

  const { detector } = raw;
  const detectorLayers = knownList(detector.layers, 'detector.layers');
  if (detector.harmWeights.length !== detectorLayers.length) fail('detector.harmWeights', `expected ${detectorLayers.length} weights (one per detector layer)`);
  if (detector.refusalWeights && detector.refusalWeights.length !== detectorLayers.length) fail('detector.refusalWeights', `expected ${detectorLayers.length} weights`);

  const seen = new Set<string>();
  const concepts = raw.concepts?.map((concept, i): GuardConcept => {
    const path = `concepts[${i}]`;
    if (!(CONCEPT_NAMES as readonly string[]).includes(concept.name)) {
      fail(`${path}.name`, `unknown concept ${JSON.stringify(concept.name)}; expected one of ${CONCEPT_NAMES.map((n) => `"${n}"`).join(', ')}`);
    }
    if (seen.has(concept.name)) fail(`${path}.name`, `concept "${concept.name}" appears twice`);
    seen.add(concept.name);
    return {
      name: concept.name as ConceptName,
      probes: probeList(concept.probes, `${path}.probes`),
      bias: concept.bias,
      calibration: concept.calibration,
      threshold: concept.threshold,
      description: concept.description,
    };
  });

  if (raw.surprisal) {
    const { window, minUnmasked, mask } = raw.surprisal;
    if (minUnmasked > window) fail('surprisal.minUnmasked', `expected a whole number in 1..${window}`);
    try {
      new RegExp(mask, 'g');
    } catch (error) {
      fail('surprisal.mask', `not a valid pattern (${(error as Error).message})`);
    }
  }

  const categories = raw.categories && {
    layer: known(raw.categories.layer, 'categories.layer'),
    minScore: raw.categories.minScore,
    entries: raw.categories.entries.map((entry, i) => ({ name: entry.name, direction: vector(entry.direction, `categories.entries[${i}].direction`, H) })),
  };
  const neurons = raw.neurons && {
    gateBlocks: raw.neurons.gateBlocks.map((block, i) => inRange(block, `neurons.gateBlocks[${i}]`, L - 1)),
    blocks: raw.neurons.blocks.map((entry, i) => ({
      block: inRange(entry.block, `neurons.blocks[${i}].block`, L - 1),
      targetLayer: known(entry.targetLayer, `neurons.blocks[${i}].targetLayer`),
      weights: vector(entry.weights, `neurons.blocks[${i}].weights`, raw.model.intermediateSize),
    })),
  };

  // What the schema checked passes through as written; vectors are decoded and layer lists checked.
  return {
    ...raw,
    version: 1,
    layers,
    byLayer,
    detector: { ...detector, layers: detectorLayers, probes: detector.probes && probeList(detector.probes, 'detector.probes') },
    concepts,
    baseline: { ...raw.baseline, layers: knownList(raw.baseline.layers, 'baseline.layers') },
    refusalSuppressed: { ...raw.refusalSuppressed, layers: knownList(raw.refusalSuppressed.layers, 'refusalSuppressed.layers') },
    categories,
    readoutLayer: known(raw.readoutLayer, 'readoutLayer'),
    neurons,
    selfTest: raw.selfTest?.map((entry) => ({ ...entry, flagged: entry.flagged === true })),
  };
}

function normalise(vector: Float32Array): void {
  let norm = 0;
  for (let k = 0; k < vector.length; k++) norm += vector[k] * vector[k];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let k = 0; k < vector.length; k++) vector[k] /= norm;
}
