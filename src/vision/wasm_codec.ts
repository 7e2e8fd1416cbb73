/**
 * One WebAssembly codec instance (libjpeg-turbo or libwebp, compiled by their npm packages and
 * imported as bytes, so they are inside the compiled binary and the bundle).
 *
 * The C code reports fatal errors by `longjmp`, which the import stubs turn into a JS exception:
 * that unwinds past the C stack pointer and the codec's heap allocations, so after any exception
 * the instance is dropped and the next call gets a fresh one. An instance whose memory grew past
 * `maxMemoryBytes` (a large image) is dropped too: wasm memory never shrinks. Imports nothing.
 */

export interface CodecExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(pointer: number): void;
}

export class WasmCodec<E extends CodecExports> {
  #bytes: Uint8Array<ArrayBuffer>;
  #imports: WebAssembly.Imports;
  #maxMemoryBytes: number;
  #module: WebAssembly.Module | undefined;
  #exports: E | undefined;

  constructor(
    bytes: Uint8Array<ArrayBuffer>,
    imports: WebAssembly.Imports,
    maxMemoryBytes: number,
  ) {
    this.#bytes = bytes;
    this.#imports = imports;
    this.#maxMemoryBytes = maxMemoryBytes;
  }

  /** Runs `fn` on a healthy instance; compiles the module on first use. */
  run<T>(fn: (exports: E) => T): T {
    this.#module ??= new WebAssembly.Module(this.#bytes);
    const exports = this.#exports ??= new WebAssembly.Instance(this.#module, this.#imports)
      .exports as unknown as E;
    try {
      return fn(exports);
    } catch (err) {
      this.#exports = undefined;
      throw err;
    } finally {
      if (exports.memory.buffer.byteLength > this.#maxMemoryBytes) this.#exports = undefined;
    }
  }

  /** Copies `bytes` into the instance's heap; the caller frees the returned pointer. */
  static copyIn(exports: CodecExports, bytes: Uint8Array): number {
    const pointer = exports.malloc(bytes.length);
    if (pointer === 0) throw new Error("codec out of memory");
    new Uint8Array(exports.memory.buffer, pointer, bytes.length).set(bytes);
    return pointer;
  }
}

/** Import stubs for C runtime calls the codecs link but never need on the decode path. */
export function failingStubs(names: readonly string[]): Record<string, () => never> {
  return Object.fromEntries(
    names.map((name) => [name, () => {
      throw new Error(`codec called ${name}`);
    }]),
  );
}
