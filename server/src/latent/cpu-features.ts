// Which precision the guard's scoring pass runs at on this CPU. The int8 screen graph is only faster
// where the CPU has int8 dot-product instructions (AVX512-VNNI, AVX-VNNI, AMX); elsewhere fp32 is the
// faster and the exact path. Read at run time from what the kernel reports, never assumed.
import * as fs from 'node:fs';

export const PRECISIONS = ['auto', 'fp32', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

export function isPrecision(value: string): value is Precision {
  return (PRECISIONS as readonly string[]).includes(value);
}

/** The int8 dot-product instruction sets onnxruntime's int8 kernels use, in the order we name them. */
const INT8_FEATURES = ['amx_int8', 'avx512_vnni', 'avx_vnni'] as const;

export interface CpuInt8Support {
  /** The features found (empty: none, or the platform does not say). */
  features: string[];
}

/** The int8 features named in a /proc/cpuinfo text (its `flags` lines). */
export function int8FeaturesIn(cpuinfo: string): string[] {
  const flags = new Set<string>();
  for (const line of cpuinfo.split('\n')) {
    const match = /^flags\s*:\s*(.*)$/.exec(line);
    if (match) for (const flag of match[1].split(/\s+/)) flags.add(flag);
  }
  return INT8_FEATURES.filter((feature) => flags.has(feature));
}

let detected: CpuInt8Support | undefined;

/** This machine's int8 support (Linux: /proc/cpuinfo; other platforms report none, so fp32 runs). */
export function cpuInt8Support(): CpuInt8Support {
  if (detected) return detected;
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'ia32')) {
    try {
      detected = { features: int8FeaturesIn(fs.readFileSync('/proc/cpuinfo', 'utf8')) };
    } catch {
      detected = { features: [] }; // unreadable: fp32, the exact path
    }
  } else {
    detected = { features: [] };
  }
  return detected;
}

/** A precision setting: the option, else $LATENT_LINT_PRECISION, else auto; anything else is an error. */
export function parsePrecision(value: string | undefined): Precision {
  const chosen = (value ?? process.env.LATENT_LINT_PRECISION ?? 'auto').trim().toLowerCase();
  if (isPrecision(chosen)) return chosen;
  throw new Error(`precision must be auto, fp32 or int8 (got "${value ?? process.env.LATENT_LINT_PRECISION}")`);
}

/** Whether to screen with the int8 graph: forced either way, or (auto) when the CPU has int8 dot products. */
export function useInt8Screen(precision: Precision, support: CpuInt8Support = cpuInt8Support()): boolean {
  return precision === 'int8' || (precision === 'auto' && support.features.length > 0);
}
