import { gzipSync } from 'node:zlib'
import { RUNTIME_DIR } from './manifests.js'

/**
 * Bytes of gzipped runtime per ConfigMap: a ConfigMap must stay under 1 MiB, and binaryData is stored as
 * base64 (4/3 of the bytes).
 */
const CHUNK_BYTES = 600 * 1024

/** The runtime gzipped and cut into ConfigMap-sized chunks. */
export function runtimeChunks(code: Uint8Array): Uint8Array[] {
  const packed = gzipSync(code, { level: 9 })
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < packed.length; offset += CHUNK_BYTES) {
    chunks.push(packed.subarray(offset, offset + CHUNK_BYTES))
  }
  return chunks
}

/**
 * The pod's entry point: joins the chunks, checks the runtime's digest, writes it once per pod to the
 * temporary directory and runs it. Node built-ins only: the image needs nothing but Node.js.
 */
export function bootstrapScript(digest: string): string {
  return `// Strata runtime bootstrap: written by @strata/kubernetes; runs the runtime this ConfigMap carries.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { gunzipSync } from 'node:zlib'

const digest = ${JSON.stringify(digest)}
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 16)) {
  console.error('strata: this image has Node.js ' + process.versions.node + '; the Strata runtime needs 22.16 or newer — set the image setting to a newer Node.js image')
  process.exit(2)
}
const file = join(tmpdir(), 'strata-runtime-' + digest + '.mjs')
if (!existsSync(file)) {
  const dir = ${JSON.stringify(RUNTIME_DIR)}
  const parts = readdirSync(dir).filter((name) => /^runtime\\.mjs\\.gz\\.\\d+$/.test(name)).sort()
  const code = gunzipSync(Buffer.concat(parts.map((name) => readFileSync(join(dir, name)))))
  const actual = createHash('sha256').update(code).digest('hex')
  if (actual !== digest) {
    console.error('strata: the runtime in ' + dir + ' is damaged (digest ' + actual + ', expected ' + digest + ') — run the pipeline again')
    process.exit(2)
  }
  writeFileSync(file, code)
}
const runtime = await import(pathToFileURL(file).href)
process.exitCode = await runtime.main(process.argv.slice(2))
`
}
