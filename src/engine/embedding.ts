/**
 * Embedding vectors as clients expect them: optionally truncated to `dimensions` (Matryoshka
 * models keep their meaning in the leading components) and scaled to unit length, so cosine
 * similarity is a dot product. Pure.
 */

export function normalizeEmbedding(vector: Float32Array, dimensions?: number): Float32Array {
  const out = dimensions && dimensions < vector.length
    ? vector.slice(0, dimensions)
    : vector.slice();
  let sum = 0;
  for (const v of out) sum += v * v;
  const norm = Math.sqrt(sum);
  if (norm > 0 && Number.isFinite(norm)) {
    for (let i = 0; i < out.length; i++) out[i] /= norm;
  }
  return out;
}

/** OpenAI's `encoding_format: "base64"`: the little-endian float32 bytes, base64-encoded. */
export function embeddingBase64(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
