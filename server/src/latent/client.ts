// The main-thread side of the model: a request queue in front of either a worker thread (the language
// server) or an in-process runtime (the CLI, tests). Queued requests whose AbortSignal fires are
// dropped; a request already running is asked to stop at its next batch, and its result is discarded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ModelUnavailableError } from './model-files';
import { CancelledError, LatentRuntime, type RuntimeOptions } from './runtime';
import type { LatentExplanation } from './types';
import type { UnitScore } from './signals';
import type { OpenInfo, WorkerRequest, WorkerResponse } from './worker-protocol';

export interface LatentBackend {
  /** Verifies the files and reads the guard; with `load`, also creates the ONNX session now. */
  open(load?: boolean): Promise<OpenInfo>;
  score(texts: string[], signal?: AbortSignal): Promise<UnitScore[]>;
  explain(text: string, signal?: AbortSignal): Promise<LatentExplanation>;
  close(): Promise<void>;
}

/** Runs jobs one at a time; a job whose signal aborted while it waited never starts. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  pending = 0;

  run<T>(job: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.pending++;
    const result = this.tail.then(
      () => {
        if (signal?.aborted) throw new CancelledError();
        return job(signal);
      },
      () => {
        if (signal?.aborted) throw new CancelledError();
        return job(signal);
      },
    );
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result.then(
      (value) => {
        this.pending--;
        // Finished, but nobody wants it any more: discard.
        if (signal?.aborted) throw new CancelledError();
        return value;
      },
      (error) => {
        this.pending--;
        throw error;
      },
    );
  }
}

/** Most texts one coalesced request carries (bounds how long a newcomer waits behind it). */
export const COALESCE_MAX_TEXTS = 512;

interface Waiting {
  texts: string[];
  signal?: AbortSignal;
  resolve: (scores: UnitScore[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Score requests that arrive while the model is busy (files linted side by side, a workspace scan) go
 * to it as one request when it frees up, so their units share length-sorted batches instead of each
 * file padding its own few. A request whose signal aborts is answered CancelledError at once and, if it
 * is still waiting, never sent; the shared request stops only when every request in it was aborted.
 */
export class CoalescingBackend implements LatentBackend {
  private readonly waiting: Waiting[] = [];
  private running = false;

  constructor(
    readonly inner: LatentBackend,
    private readonly maxTexts = COALESCE_MAX_TEXTS,
  ) {}

  open(load?: boolean): Promise<OpenInfo> {
    return this.inner.open(load);
  }

  score(texts: string[], signal?: AbortSignal): Promise<UnitScore[]> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    return new Promise<UnitScore[]>((resolve, reject) => {
      // An aborted request is answered at once, waiting or in flight (a later answer is then ignored).
      const onAbort = (): void => reject(new CancelledError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.waiting.push({
        texts,
        signal,
        resolve: (scores) => (done(), resolve(scores)),
        reject: (error) => (done(), reject(error)),
      });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length) {
        const group: Waiting[] = [];
        let size = 0;
        while (this.waiting.length && (group.length === 0 || size + this.waiting[0].texts.length <= this.maxTexts)) {
          const next = this.waiting.shift() as Waiting;
          if (next.signal?.aborted) {
            next.reject(new CancelledError());
            continue;
          }
          group.push(next);
          size += next.texts.length;
        }
        if (group.length) await this.send(group);
      }
    } finally {
      this.running = false;
    }
  }

  private async send(group: Waiting[]): Promise<void> {
    const unique = [...new Set(group.flatMap((request) => request.texts))];
    const controller = new AbortController();
    const signals = group.map((request) => request.signal);
    const onAbort = (): void => {
      if (signals.every((signal) => signal?.aborted)) controller.abort();
    };
    for (const signal of signals) signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const scores = await this.inner.score(unique, signals.every(Boolean) ? controller.signal : undefined);
      const byText = new Map(unique.map((text, i) => [text, scores[i]]));
      for (const request of group) {
        if (request.signal?.aborted) request.reject(new CancelledError());
        else request.resolve(request.texts.map((text) => byText.get(text) as UnitScore));
      }
    } catch (error) {
      for (const request of group) request.reject(request.signal?.aborted ? new CancelledError() : error);
    } finally {
      for (const signal of signals) signal?.removeEventListener('abort', onAbort);
    }
  }

  explain(text: string, signal?: AbortSignal): Promise<LatentExplanation> {
    return this.inner.explain(text, signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export class InProcessBackend implements LatentBackend {
  private runtime?: LatentRuntime;
  private readonly queue = new SerialQueue();

  constructor(private readonly options: RuntimeOptions = {}) {}

  /** Whether the ONNX session was created (a warm, all-cached run never creates it). */
  get sessionLoaded(): boolean {
    return this.runtime?.model.loaded ?? false;
  }

  async open(load = true): Promise<OpenInfo> {
    this.runtime ??= LatentRuntime.open(this.options);
    if (load) await this.runtime.load();
    return { identity: this.runtime.identity, warnings: this.runtime.warnings };
  }

  score(texts: string[], signal?: AbortSignal): Promise<UnitScore[]> {
    return this.queue.run(async () => {
      await this.open(false);
      return (this.runtime as LatentRuntime).score(texts, () => signal?.aborted ?? false);
    }, signal);
  }

  explain(text: string, signal?: AbortSignal): Promise<LatentExplanation> {
    return this.queue.run(async () => {
      await this.open(false);
      return (this.runtime as LatentRuntime).explain(text);
    }, signal);
  }

  async close(): Promise<void> {
    await this.runtime?.release();
    this.runtime = undefined;
  }
}

/** The worker script: the bundle beside this one, or the TypeScript source under tsx (tests). */
export function defaultWorkerPath(): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const candidates = [path.join(here, 'latent-worker.js'), path.join(here, 'worker.ts'), path.join(here, 'latent', 'worker.ts')];
  return candidates.find((file) => fs.existsSync(file)) ?? candidates[0];
}

export class WorkerBackend implements LatentBackend {
  private worker?: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly queue = new SerialQueue();
  private opened?: Promise<OpenInfo>;

  constructor(
    private readonly options: RuntimeOptions = {},
    private readonly workerPath = defaultWorkerPath(),
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    // Under tsx (tests, scripts) the worker is the TypeScript source. tsx's ESM hooks do not reach
    // worker threads on Node 20, its CommonJS hook does.
    const execArgv = this.workerPath.endsWith('.ts') ? ['--require', 'tsx/cjs'] : undefined;
    const worker = new Worker(this.workerPath, { workerData: { options: this.options }, execArgv });
    worker.on('message', (response: WorkerResponse) => {
      const waiter = this.waiting.get(response.id);
      if (!waiter) return;
      this.waiting.delete(response.id);
      if (response.ok) waiter.resolve(response.result);
      else {
        const { error } = response;
        const failure = error.reason ? new ModelUnavailableError(error.reason, error.message) : error.name === 'AbortError' ? new CancelledError() : new Error(error.message);
        waiter.reject(failure);
      }
    });
    const failAll = (error: Error): void => {
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
      this.worker = undefined;
      this.opened = undefined;
    };
    worker.on('error', (error) => failAll(new ModelUnavailableError('load-failed', `the latent worker crashed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (this.waiting.size) failAll(new ModelUnavailableError('load-failed', `the latent worker exited (code ${code})`));
      this.worker = undefined;
    });
    this.worker = worker;
    return worker;
  }

  private send<T>(request: Omit<WorkerRequest, 'id'> & { type: WorkerRequest['type'] }, signal?: AbortSignal): Promise<T> {
    const worker = this.start();
    const id = this.nextId++;
    const onAbort = (): void => worker.postMessage({ id: this.nextId++, type: 'cancel', target: id } satisfies WorkerRequest);
    signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id } as WorkerRequest);
    }).finally(() => signal?.removeEventListener('abort', onAbort));
  }

  open(load = true): Promise<OpenInfo> {
    this.opened ??= this.send<OpenInfo>({ type: 'open', load } as WorkerRequest).catch((error: Error) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  score(texts: string[], signal?: AbortSignal): Promise<UnitScore[]> {
    return this.queue.run(() => this.send<UnitScore[]>({ type: 'score', texts } as WorkerRequest, signal), signal);
  }

  explain(text: string, signal?: AbortSignal): Promise<LatentExplanation> {
    return this.queue.run(() => this.send<LatentExplanation>({ type: 'explain', text } as WorkerRequest, signal), signal);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.send({ type: 'close' } as WorkerRequest);
    } catch {
      // Closing a crashed worker: nothing to release.
    }
    await worker.terminate();
    this.worker = undefined;
    this.opened = undefined;
  }
}
