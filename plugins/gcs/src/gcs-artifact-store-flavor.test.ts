import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  flavorConfigJsonSchema,
  isStrataError,
  maskConfig,
  parseFlavorConfig,
  secretFieldPaths,
} from '@strata/core'
import { describe, expect, it } from 'vitest'
import plugin, { createGcsArtifactStore, gcsArtifactStore } from './index.js'

function parseError(config: unknown): string {
  try {
    parseFlavorConfig(gcsArtifactStore, config)
  } catch (error) {
    if (isStrataError(error)) return error.message
    throw error
  }
  throw new Error('expected the config to be refused')
}

describe('artifact_store/gcp flavor', () => {
  it("is the remote artifact store flavor gcp (ZenML's name) of the @strata/gcs plugin", () => {
    expect(plugin.name).toBe('@strata/gcs')
    expect(plugin.flavors).toEqual([gcsArtifactStore])
    expect(gcsArtifactStore).toMatchObject({
      type: 'artifact_store',
      name: 'gcp',
      apiVersion: 1,
      isRemote: true,
    })
  })

  it('accepts gs:// paths and fills in defaults', () => {
    expect(
      parseFlavorConfig(gcsArtifactStore, { path: 'gs://my_bucket.example/team/strata/' }),
    ).toMatchObject({
      path: 'gs://my_bucket.example/team/strata/',
      maxRetries: 3,
      timeoutMs: 60_000,
    })
  })

  it('refuses other schemes, bad bucket names and odd chunk sizes, naming the allowed scheme', () => {
    expect(parseError({ path: 's3://bucket/x' })).toMatch(
      /'path': must start with gs:\/\/.*got "s3:\/\/bucket\/x"/,
    )
    expect(parseError({ path: 'bucket/x' })).toContain('must start with gs://')
    expect(parseError({ path: 'gs://Bad Bucket/x' })).toContain('not a valid Cloud Storage bucket name')
    expect(parseError({ path: 'gs://bucket/a/../b' })).toContain("empty, '.' or '..' segment")
    expect(parseError({ path: 'gs://bucket', chunkSize: 300_000 })).toContain('multiple of 256 KiB')
  })

  it('marks the service-account key as a secret field that accepts references and is masked', () => {
    const schema = flavorConfigJsonSchema(gcsArtifactStore)
    expect(secretFieldPaths(schema)).toEqual([['serviceAccountKey']])
    const key = JSON.stringify({ client_email: 'a@b.iam.gserviceaccount.com', private_key: 'pem-never-echo' })
    expect(
      maskConfig(
        parseFlavorConfig(gcsArtifactStore, { path: 'gs://bucket', serviceAccountKey: key }),
        schema,
      ),
    ).toMatchObject({
      serviceAccountKey: '********',
    })
    expect(
      parseFlavorConfig(gcsArtifactStore, { path: 'gs://bucket', serviceAccountKey: '{{gcp.key}}' }),
    ).toMatchObject({
      serviceAccountKey: '{{gcp.key}}',
    })
    const message = parseError({
      path: 'gs://bucket',
      serviceAccountKey: '{"private_key": "pem-never-echo"}',
    })
    expect(message).toContain("service-account key file's JSON")
    expect(message).not.toContain('pem-never-echo')
  })

  it('refuses a secret reference that was never resolved', async () => {
    await expect(
      createGcsArtifactStore({ path: 'gs://bucket', serviceAccountKey: '{{gcp.key}}' }),
    ).rejects.toMatchObject({
      code: 'SECRET_NOT_RESOLVED',
    })
  })
})

describe('@strata/gcs import cost', () => {
  it('does not load @google-cloud/storage until a store is created', () => {
    // A fresh Node process with a resolve hook that records every module it loads; source files are
    // imported directly (type stripping), mapping the '.js' specifiers of TypeScript sources to '.ts'.
    const index = fileURLToPath(new URL('./index.ts', import.meta.url))
    const script = `
      import { registerHooks } from 'node:module'
      const loaded = []
      registerHooks({
        resolve(specifier, context, next) {
          let result
          try { result = next(specifier, context) } catch (error) {
            if (!specifier.endsWith('.js')) throw error
            result = next(specifier.slice(0, -3) + '.ts', context)
          }
          loaded.push(result.url)
          return result
        },
      })
      const vendor = () => loaded.filter((url) => url.includes('@google-cloud') || url.includes('google-auth-library'))
      const plugin = (await import(${JSON.stringify(index)})).default
      const atImport = vendor()
      await plugin.flavors[0].create(
        { path: 'gs://bucket', apiEndpoint: 'http://127.0.0.1:9', chunkSize: 8388608, maxRetries: 0, timeoutMs: 100 },
        { componentName: 'x', componentId: 'x', dataDir: '/tmp', logger: { debug() {}, info() {}, warn() {}, error() {} } },
      )
      console.log(JSON.stringify({ atImport, afterCreate: vendor().length, total: loaded.length }))
    `
    const child = spawnSync(process.execPath, ['--conditions=source', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    })
    expect(child.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, '')).toBe('')
    const result = JSON.parse(child.stdout) as { atImport: string[]; afterCreate: number; total: number }
    expect(result.atImport).toEqual([])
    // The probe itself works: creating a store does load the client library.
    expect(result.afterCreate).toBeGreaterThan(0)
  })
})
