// A WebAssembly SIMD kernel for the vector index's scan: the Hamming distance from one query code to
// each of `n` codes laid out every `stride` bytes, written as u16 to `out`, with a histogram of the
// distances (u32 per distance) accumulated at `hist`. Per 16 bytes: v128.xor, i8x16.popcnt and an
// i8x16.add into the code's byte counts (at most 8 a lane per 16 bytes, so strides up to 496 bytes
// cannot overflow), widened by two pairwise adds once per code; a code of 96 bytes costs six loads
// instead of 48 lookups in a popcount table: over the 1,100,000 codes of the search bench, ~15 ms
// against ~55-90 ms for the JS loop, and the 256-bit first pass (vector-index.ts) 8.5-9.5 ms
// (10-12 ms when every 16 bytes were widened and added as i32).
//
// The module is small enough to be spelled out here instruction by instruction (no toolchain, no
// binary file in the repository); WebAssembly.validate checks it on load, and the vector index falls
// back to its JS loop where SIMD is unavailable. In outline (`stride` is a multiple of 16):
//
//   (func (export "scan") (param $q $base $n $stride $out $hist i32)
//     (local $i $p $c $d $a i32) (local $acc v128)
//     p = base
//     for i in 0..n:                              ;; skipped when n = 0
//       acc = 0; c = 0
//       do: acc += popcnt(load(p + c) ^ load(q + c)) (i8x16); c += 16  while c < stride
//       acc = pairwise(pairwise(acc)) (to i32x4); d = acc[0] + acc[1] + acc[2] + acc[3]
//       out[i] = d (u16); hist[d] += 1 (u32); p += stride
import { AppError } from '../errors';

const I32 = 0x7f;
const V128 = 0x7b;

const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Shl: 0x74,
} as const;

/** SIMD instructions: the 0xfd prefix, then the opcode as an unsigned LEB128. */
const simd = {
  v128Load: [0xfd, 0x00],
  v128Const: [0xfd, 0x0c],
  i32x4ExtractLane: [0xfd, 0x1b],
  v128Xor: [0xfd, 0x51],
  i8x16Popcnt: [0xfd, 0x62],
  i8x16Add: [0xfd, 0x6e],
  i16x8ExtaddPairwiseI8x16U: [0xfd, 0x7d],
  i32x4ExtaddPairwiseI16x8U: [0xfd, 0x7f],
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
const name = (s: string) => [...uleb(Buffer.byteLength(s)), ...bytes(s)];
const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];

// Parameters and locals by index.
const [Q, BASE, N, STRIDE, OUT, HIST, I, P, C, D, A, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const get = (i: number) => [op.localGet, i];
const set = (i: number) => [op.localSet, i];
const tee = (i: number) => [op.localTee, i];
const konst = (v: number) => [op.i32Const, v]; // 0..63: one byte of signed LEB128
// memarg: log2 of the alignment, then the offset.
const memarg = (align: number) => [align, 0];

function body(): number[] {
  // prettier-ignore
  const code = [
    ...get(BASE), ...set(P),
    op.block, 0x40,
    ...get(N), op.i32Eqz, op.brIf, 0,
    op.loop, 0x40,
    ...simd.v128Const, ...new Array<number>(16).fill(0), ...set(ACC),
    ...konst(0), ...set(C),
    op.loop, 0x40,
    ...get(ACC),
    ...get(P), ...get(C), op.i32Add, ...simd.v128Load, ...memarg(4),
    ...get(Q), ...get(C), op.i32Add, ...simd.v128Load, ...memarg(4),
    ...simd.v128Xor, ...simd.i8x16Popcnt, ...simd.i8x16Add, ...set(ACC),
    ...get(C), ...konst(16), op.i32Add, ...tee(C),
    ...get(STRIDE), op.i32LtU, op.brIf, 0,
    op.end,
    ...get(ACC), ...simd.i16x8ExtaddPairwiseI8x16U, ...simd.i32x4ExtaddPairwiseI16x8U, ...set(ACC),
    ...get(ACC), ...simd.i32x4ExtractLane, 0,
    ...get(ACC), ...simd.i32x4ExtractLane, 1, op.i32Add,
    ...get(ACC), ...simd.i32x4ExtractLane, 2, op.i32Add,
    ...get(ACC), ...simd.i32x4ExtractLane, 3, op.i32Add,
    ...set(D),
    ...get(OUT), ...get(I), ...konst(1), op.i32Shl, op.i32Add, ...get(D), op.i32Store16, ...memarg(1),
    ...get(HIST), ...get(D), ...konst(2), op.i32Shl, op.i32Add, ...tee(A),
    ...get(A), op.i32Load, ...memarg(2), ...konst(1), op.i32Add, op.i32Store, ...memarg(2),
    ...get(P), ...get(STRIDE), op.i32Add, ...set(P),
    ...get(I), ...konst(1), op.i32Add, ...tee(I),
    ...get(N), op.i32LtU, op.brIf, 0,
    op.end,
    op.end,
    op.end,
  ];
  // Locals: five i32 ($i $p $c $d $a), one v128 ($acc).
  const locals = [2, 5, I32, 1, V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = [0x01, 0x60, 6, I32, I32, I32, I32, I32, I32, 0];
  const imports = [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01];
  const functions = [0x01, 0x00];
  const exports = [0x01, ...name('scan'), 0x00, 0x00];
  const code = [0x01, ...body()];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, type),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

export type Scan = (q: number, base: number, n: number, stride: number, out: number, hist: number) => void;

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where this runtime has no WebAssembly SIMD. */
export function simdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const wasm = moduleBytes();
    compiled = WebAssembly.validate(wasm) ? new WebAssembly.Module(wasm) : null;
  }
  return compiled;
}

/** The kernel bound to `memory`. */
export function scanOver(memory: WebAssembly.Memory): Scan {
  const module = simdModule();
  if (!module) throw new AppError('INTERNAL', 'WebAssembly SIMD is not available');
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports.scan as Scan;
}
