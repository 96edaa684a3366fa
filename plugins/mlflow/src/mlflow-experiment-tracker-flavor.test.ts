import { readFile } from 'node:fs/promises'
import {
  describeJsonSchemaFields,
  flavorConfigJsonSchema,
  parseFlavorConfig,
  type StackView,
  secretFieldPaths,
} from '@strata/core'
import { describe, expect, it } from 'vitest'
import plugin from './index.js'
import { mlflowExperimentTracker } from './mlflow-experiment-tracker-flavor.js'

const parse = (raw: Record<string, unknown>) =>
  parseFlavorConfig(mlflowExperimentTracker, raw, { componentName: 'tracking' })

describe('experiment_tracker/mlflow config', () => {
  it('defaults nested, TLS, timeout and retries', () => {
    expect(parse({ trackingUri: 'https://mlflow.example.com' })).toEqual({
      trackingUri: 'https://mlflow.example.com',
      nested: true,
      insecureTls: false,
      requestTimeoutMs: 30_000,
      maxRetries: 4,
    })
  })

  it('refuses a local file store and other non-http URIs, saying what to use instead', () => {
    for (const trackingUri of ['file:///home/me/mlruns', './mlruns', '/home/me/mlruns']) {
      expect(() => parse({ trackingUri })).toThrowError(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: expect.stringContaining(
            "'trackingUri': must be the http(s) URL of an MLflow tracking server; a local file store ('file:' or a path) is not supported — run 'mlflow server' and use its URL",
          ),
        }),
      )
    }
    expect(() => parse({ trackingUri: 'databricks://profile' })).toThrowError(
      /'databricks:' URIs are not supported/,
    )
  })

  it('refuses credentials in the URL and half-configured credentials, without echoing secrets', () => {
    expect(() => parse({ trackingUri: 'https://bob:hunter22@mlflow.example.com' })).toThrowError(
      /must not carry credentials — put them in username\/password or token/,
    )
    let error: Error | undefined
    try {
      parse({ trackingUri: 'https://mlflow.example.com', password: 'hunter22' })
    } catch (caught) {
      error = caught as Error
    }
    expect(error?.message).toContain("'username': username and password go together")
    expect(error?.message).not.toContain('hunter22')
    expect(() =>
      parse({ trackingUri: 'https://m.example.com', username: 'u', password: 'p', token: 't' }),
    ).toThrowError(/set either username\/password or token, not both/)
  })

  it('marks username, password and token secret, and accepts {{secret.key}} references in them', () => {
    const schema = flavorConfigJsonSchema(mlflowExperimentTracker)
    expect(
      secretFieldPaths(schema)
        .map((path) => path.join('.'))
        .sort(),
    ).toEqual(['password', 'token', 'username'])
    expect(describeJsonSchemaFields(schema).find((field) => field.name === 'trackingUri')).toMatchObject({
      required: true,
      secret: false,
    })
    expect(
      parse({
        trackingUri: 'https://m.example.com',
        username: '{{mlflow.user}}',
        password: '{{mlflow.password}}',
      }),
    ).toMatchObject({ username: '{{mlflow.user}}', password: '{{mlflow.password}}' })
    expect(() =>
      parse({ trackingUri: 'https://m.example.com', experimentName: '{{mlflow.name}}' }),
    ).toThrowError(expect.objectContaining({ code: 'SECRET_REFERENCE_NOT_ALLOWED' }))
  })

  it('refuses a stack whose remote orchestrator cannot reach an MLflow server on localhost', () => {
    const stack = (trackingUri: string): StackView => ({
      name: 's',
      components: {
        orchestrator: { name: 'k8s', flavor: 'kubernetes', isLocal: false, isRemote: true, config: {} },
        experiment_tracker: {
          name: 'tracking',
          flavor: 'mlflow',
          isLocal: false,
          isRemote: false,
          config: { trackingUri },
        },
      },
    })
    expect(mlflowExperimentTracker.validateStack!(stack('http://127.0.0.1:5000'))).toEqual([
      {
        component: 'tracking',
        message: expect.stringContaining(
          "points at this machine, which the steps of the remote orchestrator 'k8s' cannot reach",
        ),
      },
    ])
    expect(mlflowExperimentTracker.validateStack!(stack('https://mlflow.example.com'))).toEqual([])
  })

  it('agrees with the package.json manifest', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
    const [entry] = manifest.strata.flavors
    expect(plugin.name).toBe(manifest.name)
    expect(plugin.flavors).toEqual([mlflowExperimentTracker])
    expect(entry).toMatchObject({
      type: mlflowExperimentTracker.type,
      name: mlflowExperimentTracker.name,
      apiVersion: mlflowExperimentTracker.apiVersion,
      description: mlflowExperimentTracker.description,
    })
  })
})
