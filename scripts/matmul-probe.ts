// The machine's own fp32 matmul rate through onnxruntime (the floor the guard's forward pass is measured
// against by npm run bench:model and npm run bench:scan).
import * as ort from 'onnxruntime-node';

// --- a minimal ONNX MatMul graph, encoded by hand (protobuf), to measure this machine's matmul rate ---
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const field = (number: number, wire: number): number[] => varint((number << 3) | wire);
const int = (number: number, value: number): number[] => [...field(number, 0), ...varint(value)];
const bytes = (number: number, payload: number[] | string): number[] => {
  const data = typeof payload === 'string' ? [...Buffer.from(payload, 'utf8')] : payload;
  return [...field(number, 2), ...varint(data.length), ...data];
};
function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((dim) => bytes(1, int(1, dim))); // TensorShapeProto.dim { dim_value }
  const tensorType = [...int(1, 1 /* FLOAT */), ...bytes(2, shape)];
  return [...bytes(1, name), ...bytes(2, bytes(1, tensorType))];
}
/**
 * C[M,N] = A[M,K] · B[K,N], opset 17. B is a constant initializer, as the model's weights are, so
 * onnxruntime pre-packs it once; a B fed at run time would be re-packed on every call and understate
 * the rate the model's MatMuls actually get.
 */
export function matmulProbeModel(m: number, k: number, n: number): Uint8Array {
  const delimited = (number: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from(field(number, 2)), Buffer.from(varint(payload.length)), payload]);
  const weights = Buffer.from(Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5).buffer);
  // TensorProto: dims (1), data_type FLOAT (2), name (8), raw_data (9).
  const initializer = Buffer.concat([Buffer.from([...int(1, k), ...int(1, n), ...int(2, 1), ...bytes(8, 'B')]), delimited(9, weights)]);
  const node = [...bytes(1, 'A'), ...bytes(1, 'B'), ...bytes(2, 'C'), ...bytes(3, 'mm'), ...bytes(4, 'MatMul')];
  const graph = Buffer.concat([
    Buffer.from([...bytes(1, node), ...bytes(2, 'probe')]),
    delimited(5, initializer),
    Buffer.from([...bytes(11, valueInfo('A', [m, k])), ...bytes(12, valueInfo('C', [m, n]))]),
  ]);
  const opset = [...bytes(1, ''), ...int(2, 17)];
  return new Uint8Array(Buffer.concat([Buffer.from(int(1, 8)), delimited(7, graph), Buffer.from(bytes(8, opset))]));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** C = A·B at (m, k, n) through onnxruntime's MatMul: FLOP/s, median of `runs` after a warm-up. */
export async function matmulRate(m: number, k: number, n: number, threads: number, runs = 7): Promise<number> {
  const session = await ort.InferenceSession.create(matmulProbeModel(m, k, n), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const a = new ort.Tensor('float32', Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 13) / 13 - 0.5), [m, k]);
  await session.run({ A: a });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await session.run({ A: a });
    times.push(performance.now() - t0);
  }
  await session.release();
  return (2 * m * k * n) / (median(times) / 1000);
}

