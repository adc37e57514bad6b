// Messages between the main thread (client.ts) and the latent worker (worker.ts).
import type { UnavailableReason } from './model-files';
import type { RuntimeOptions } from './runtime';
import type { LatentExplanation, RuntimeIdentity } from './types';
import type { UnitScore } from './signals';

export type WorkerRequest =
  | { id: number; type: 'open'; load: boolean }
  | { id: number; type: 'score'; texts: string[] }
  | { id: number; type: 'explain'; text: string }
  | { id: number; type: 'cancel'; target: number }
  | { id: number; type: 'close' };

export interface OpenInfo {
  identity: RuntimeIdentity;
  warnings: string[];
}

export interface WorkerError {
  name: string;
  message: string;
  reason?: UnavailableReason;
}

export type WorkerResponse =
  | { id: number; ok: true; result: OpenInfo | UnitScore[] | LatentExplanation | null }
  | { id: number; ok: false; error: WorkerError };

export interface WorkerData {
  options: RuntimeOptions;
}
