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
import plugin, { createS3ArtifactStore, s3ArtifactStore } from './index.js'

function parseError(config: unknown): string {
  try {
    parseFlavorConfig(s3ArtifactStore, config)
  } catch (error) {
    if (isStrataError(error)) return error.message
    throw error
  }
  throw new Error('expected the config to be refused')
}

describe('artifact_store/s3 flavor', () => {
  it('is a remote artifact store flavor of the @strata/s3 plugin', () => {
    expect(plugin.name).toBe('@strata/s3')
    expect(plugin.flavors).toEqual([s3ArtifactStore])
    expect(s3ArtifactStore).toMatchObject({
      type: 'artifact_store',
      name: 's3',
      apiVersion: 1,
      isRemote: true,
    })
  })

  it('accepts s3:// paths and fills in defaults', () => {
    expect(parseFlavorConfig(s3ArtifactStore, { path: 's3://my-bucket/team/strata/' })).toMatchObject({
      path: 's3://my-bucket/team/strata/',
      partSize: 8 * 1024 * 1024,
      uploadConcurrency: 2,
      maxAttempts: 3,
    })
  })

  it('refuses other schemes and bad bucket names, naming the allowed scheme', () => {
    expect(parseError({ path: 'gs://bucket/x' })).toMatch(
      /'path': must start with s3:\/\/.*got "gs:\/\/bucket\/x"/,
    )
    expect(parseError({ path: 'bucket/x' })).toContain('must start with s3://')
    expect(parseError({ path: 's3://Bad_Bucket/x' })).toContain('not a valid S3 bucket name')
    expect(parseError({ path: 's3://bucket/a//b' })).toContain("empty, '.' or '..' segment")
    expect(parseError({ path: 's3://bucket', endpoint: 'ftp://host' })).toContain("'endpoint'")
  })

  it('marks credentials as secret fields that accept {{secret.key}} references and are masked', () => {
    const schema = flavorConfigJsonSchema(s3ArtifactStore)
    expect(secretFieldPaths(schema)).toEqual([['accessKeyId'], ['secretAccessKey'], ['sessionToken']])
    const config = parseFlavorConfig(s3ArtifactStore, {
      path: 's3://bucket',
      accessKeyId: '{{aws.key_id}}',
      secretAccessKey: 'plain-secret-value',
    })
    expect(maskConfig(config, schema)).toMatchObject({
      accessKeyId: '{{aws.key_id}}',
      secretAccessKey: '********',
    })
    expect(() =>
      parseFlavorConfig(s3ArtifactStore, { path: 's3://bucket', region: '{{aws.region}}' }),
    ).toThrow(/not a secret field/)
  })

  it('wants both halves of a key pair, and never echoes a secret value', () => {
    const message = parseError({ path: 's3://bucket', secretAccessKey: 'never-echo-me' })
    expect(message).toContain('set accessKeyId and secretAccessKey together')
    expect(message).not.toContain('never-echo-me')
  })

  it('refuses a secret reference that was never resolved', async () => {
    await expect(
      createS3ArtifactStore({
        path: 's3://bucket',
        accessKeyId: '{{aws.id}}',
        secretAccessKey: '{{aws.secret}}',
      }),
    ).rejects.toMatchObject({ code: 'SECRET_NOT_RESOLVED' })
  })
})

describe('@strata/s3 import cost', () => {
  it('does not load the AWS SDK until a store is created', () => {
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
      const vendor = () => loaded.filter((url) => url.includes('@aws-sdk') || url.includes('@smithy'))
      const plugin = (await import(${JSON.stringify(index)})).default
      const atImport = vendor()
      await plugin.flavors[0].create(
        { path: 's3://bucket', endpoint: 'http://127.0.0.1:9', partSize: 8388608, uploadConcurrency: 4, maxAttempts: 1, connectTimeoutMs: 100, requestTimeoutMs: 100 },
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
    // The probe itself works: creating a store does load the SDK.
    expect(result.afterCreate).toBeGreaterThan(0)
  })
})
