// The latent worker (bundled to dist/server/latent-worker.js): owns the ONNX session so the language
// server's event loop never waits on the model. One request at a time; a cancelled request stops at
// the next batch boundary.
import { parentPort, workerData } from 'node:worker_threads';
import { ModelUnavailableError } from './model-files';
import { LatentRuntime } from './runtime';
import type { WorkerData, WorkerError, WorkerRequest, WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('latent-worker must run in a worker thread');

const { options } = workerData as WorkerData;
let runtime: LatentRuntime | undefined;
const cancelled = new Set<number>();
let chain: Promise<void> = Promise.resolve();

function toError(error: unknown): WorkerError {
  const e = error as Error;
  return { name: e?.name ?? 'Error', message: e?.message ?? String(error), reason: error instanceof ModelUnavailableError ? error.reason : undefined };
}

async function handle(request: WorkerRequest): Promise<WorkerResponse> {
  try {
    switch (request.type) {
      case 'open': {
        runtime ??= LatentRuntime.open(options);
        if (request.load) await runtime.load();
        return { id: request.id, ok: true, result: { identity: runtime.identity, warnings: runtime.warnings } };
      }
      case 'score': {
        runtime ??= LatentRuntime.open(options);
        const result = await runtime.score(request.texts, () => cancelled.has(request.id));
        return { id: request.id, ok: true, result };
      }
      case 'explain': {
        runtime ??= LatentRuntime.open(options);
        return { id: request.id, ok: true, result: await runtime.explain(request.text) };
      }
      case 'close':
        await runtime?.release();
        runtime = undefined;
        return { id: request.id, ok: true, result: null };
      default:
        return { id: (request as WorkerRequest).id, ok: false, error: { name: 'Error', message: `unknown request ${(request as { type: string }).type}` } };
    }
  } catch (error) {
    return { id: request.id, ok: false, error: toError(error) };
  } finally {
    cancelled.delete(request.id);
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'cancel') {
    // Handled at once, not queued: the running request checks it between batches.
    cancelled.add(request.target);
    return;
  }
  chain = chain.then(async () => {
    const response = await handle(request);
    port.postMessage(response);
    if (request.type === 'close') port.close();
  });
});
