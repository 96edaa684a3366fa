import { gzipSync } from 'node:zlib'
import type { RuntimePackage } from '@strata/core'
import type { RuntimeBundle } from './runtime-bundle.js'

/**
 * Bytes of gzipped runtime per chunk: a Kubernetes ConfigMap must stay under 1 MiB, and stores binary
 * data as base64 (4/3 of the bytes).
 */
const CHUNK_BYTES = 600 * 1024

/** The runtime gzipped and cut into chunks that each fit a ConfigMap. */
function runtimeChunks(code: Uint8Array): Uint8Array[] {
  const packed = gzipSync(code, { level: 9 })
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < packed.length; offset += CHUNK_BYTES) {
    chunks.push(packed.subarray(offset, offset + CHUNK_BYTES))
  }
  return chunks
}

/**
 * The pod's entry point: joins the chunks found anywhere under its own folder (one mounted volume, or one
 * per chunk), checks the runtime's digest, writes it once per pod to the temporary directory and runs it.
 * Node built-ins only: the image needs nothing but Node.js.
 */
function bootstrapScript(digest: string): string {
  return `// Strata runtime bootstrap: runs the runtime whose chunks lie beside it (written by @strata/sdk).
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
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
  const dir = import.meta.dirname
  const parts = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((path) => /(^|\\/)runtime\\.mjs\\.gz\\.\\d+$/.test(path))
    .sort((a, b) => basename(a).localeCompare(basename(b)))
  const code = gunzipSync(Buffer.concat(parts.map((path) => readFileSync(join(dir, path)))))
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

/** Packs a runtime for a volume: `bootstrap.mjs` and the gzipped runtime in `runtime.mjs.gz.NNN` chunks. */
export function packRuntime(bundle: RuntimeBundle): RuntimePackage {
  return {
    digest: bundle.digest,
    bootstrap: bootstrapScript(bundle.digest),
    chunks: runtimeChunks(bundle.code),
  }
}
