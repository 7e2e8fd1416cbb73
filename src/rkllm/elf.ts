/**
 * Checks a shared library file before dlopen: a truncated file (an interrupted copy) makes the
 * dynamic loader fault with SIGBUS while mapping it, killing the process without a message. This
 * reads the ELF header and program headers and confirms every loadable segment lies inside the
 * file, and that the library is built for this machine.
 */

const MACHINES: Readonly<Record<number, string>> = { 0x3e: "x86_64", 0xb7: "aarch64", 0x28: "arm" };
const PT_LOAD = 1;

/** Null when the file looks loadable, else the reason it is not. */
export function elfProblem(bytes: Uint8Array, fileSize: number, arch: string): string | null {
  if (
    bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c ||
    bytes[3] !== 0x46
  ) {
    return "not an ELF shared library";
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) return "not a 64-bit little-endian ELF file";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = MACHINES[view.getUint16(18, true)] ??
    `machine 0x${view.getUint16(18, true).toString(16)}`;
  if (machine !== arch) return `built for ${machine}, but this machine is ${arch}`;
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shoff = Number(view.getBigUint64(40, true));
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  const truncated = `truncated: the file has ${fileSize} bytes but its headers describe more`;
  if (phoff + phentsize * phnum > fileSize || (shnum && shoff + shentsize * shnum > fileSize)) {
    return truncated;
  }
  if (phoff + phentsize * phnum > bytes.length) return null; // headers beyond the bytes read
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = Number(view.getBigUint64(at + 8, true));
    const size = Number(view.getBigUint64(at + 32, true));
    if (offset + size > fileSize) return truncated;
  }
  return null;
}

/** Reads the first 64 KiB (headers) of `path` and checks it. */
export function checkLibraryFile(path: string): string | null {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    return (err as Error).message;
  }
  try {
    const size = file.statSync().size;
    const head = new Uint8Array(Math.min(size, 65536));
    let read = 0;
    while (read < head.length) {
      const n = file.readSync(head.subarray(read));
      if (n === null) break;
      read += n;
    }
    return elfProblem(head.subarray(0, read), size, Deno.build.arch);
  } finally {
    file.close();
  }
}
