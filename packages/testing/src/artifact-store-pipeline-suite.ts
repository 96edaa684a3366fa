import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  discoverWorkspaceFlavors,
  openRunEnvironment,
  openWorkspace,
  prepareComponent,
  setActiveStack,
  storeSecretResolver,
  verifyStack,
} from '@strata/sdk/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataFlow } from './orchestrator-fixtures.js'
import { loggedDataFlow } from './store-pipeline-fixtures.js'

/** The preload that records a process's stdout and stderr (source when tests run from source, else built). */
const captureOutput = new URL(
  import.meta.url.endsWith('.ts') ? './capture-output.ts' : './capture-output.js',
  import.meta.url,
)

/** Sets environment variables for the duration of `work` (step processes inherit them). */
async function withEnv<T>(variables: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]))
  Object.assign(process.env, variables)
  try {
    return await work()
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

export interface ArtifactStorePipelineSuiteOptions {
  /** Shown in the suite's title. */
  name: string
  /** The plugin package's directory (installed into a temporary project, as `pnpm add` would). */
  packageDir: string
  /** The artifact store flavor's name. */
  flavor: string
  /** Its config; secret fields hold `{{secret.key}}` references to `secrets`. */
  config(): Record<string, unknown>
  /** Secrets to create first, by name. Their values must never appear in run output. */
  secrets?: () => Record<string, Record<string, string>>
  /** Skip with this reason (the server could not start). */
  skip?: string | undefined
  /** @default 120000 */
  timeout?: number
}

/**
 * Runs real pipelines on a stack of the local orchestrator and the artifact store under test: registered
 * like a user would (component with secret references, stack, validation that reaches the bucket), then a
 * produce → transform → consume pipeline in-process and with a process per step, and cached re-runs that
 * read the artifacts back from the store. No secret value may appear in the run output, in what the step
 * processes print (their stdout and stderr, recorded through a `node --import` preload), or in the stored
 * step logs — not even when a step logs the value itself.
 */
export function artifactStorePipelineSuite(options: ArtifactStorePipelineSuiteOptions): void {
  const timeout = options.timeout ?? 120_000
  describe.skipIf(options.skip)(`pipelines on artifact store: ${options.name}`, { timeout }, () => {
    let configDir: string
    let project: string
    const lines: string[] = []

    beforeAll(async () => {
      configDir = await mkdtemp(join(tmpdir(), 'strata-store-pipelines-'))
      // The project lives in the plugin's package, so that @strata/sdk and zod resolve from its node_modules.
      project = join(options.packageDir, '.tmp', `pipelines-${process.pid}`)
      rmSync(project, { recursive: true, force: true })
      const pkg = JSON.parse(readFileSync(join(options.packageDir, 'package.json'), 'utf8'))
      mkdirSync(join(project, 'node_modules', ...pkg.name.split('/').slice(0, -1)), { recursive: true })
      symlinkSync(options.packageDir, join(project, 'node_modules', pkg.name))
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'store-project', dependencies: { [pkg.name]: '*' } }),
      )

      const workspace = openWorkspace({ configDir, cwd: project })
      try {
        for (const [name, values] of Object.entries(options.secrets?.() ?? {}))
          await workspace.store.secrets.create(name, values)
        const { registry } = await discoverWorkspaceFlavors(workspace)
        const prepared = await prepareComponent(
          { type: 'artifact_store', name: 'bucket', flavor: options.flavor, config: options.config() },
          { registry, secrets: workspace.store.secrets },
        )
        expect(prepared.missingSecrets).toEqual([])
        const { missingSecrets: _missing, ...component } = prepared
        const store = await workspace.store.components.create(component)
        const local = await workspace.store.stacks.ensureDefault({
          package: '@strata/local',
          version: '0.0.0',
        })
        const orchestrator = local.components.orchestrator
        if (!orchestrator) throw new Error('the default stack has no orchestrator')
        const stack = await workspace.store.stacks.create({
          name: 'remote-store',
          components: { orchestrator: orchestrator.id, artifact_store: store.id },
        })
        await setActiveStack(workspace, stack.name, { scope: 'user' })
        // `strata stack validate` reaches the bucket with the stack's credentials.
        const checks = await verifyStack(stack, {
          registry,
          secrets: storeSecretResolver(workspace.store.secrets),
          configDir,
        })
        expect(checks.filter((check) => check.type === 'artifact_store')).toEqual([
          { type: 'artifact_store', name: 'bucket', status: 'ok' },
        ])
      } finally {
        workspace.close()
      }
    }, timeout)

    afterAll(() => {
      if (project && existsSync(project)) rmSync(project, { recursive: true, force: true })
      if (configDir) rmSync(configDir, { recursive: true, force: true })
    })

    const run = async (settings?: Record<string, Record<string, unknown>>) => {
      const environment = await openRunEnvironment({ configDir, projectRoot: project })
      try {
        expect(environment.stackName).toBe('remote-store')
        const result = await dataFlow.run({
          environment,
          output: (line) => lines.push(line),
          ...(settings ? { settings } : {}),
        })
        const consumed = await environment.repositories.runs.stepRun(result.id, 'consume')
        const versionId = consumed
          ? (await environment.repositories.runs.stepArtifacts(consumed.id, 'output')).output
          : undefined
        const version = versionId
          ? await environment.repositories.artifacts.requireVersionById(versionId)
          : undefined
        const value = version
          ? JSON.parse(await environment.artifactStore.readText(`${version.prefix}data.json`))
          : undefined
        return { result, value, storeUri: environment.artifactStore.uri, version }
      } finally {
        await environment.close()
      }
    }

    it('runs in-process, writing every artifact to the store, then re-runs from the cache reading them back', async () => {
      const first = await run()
      expect(first.result.status).toBe('completed')
      expect(first.storeUri).toMatch(/^[a-z0-9]+:\/\//)
      expect(first.version?.artifactStoreUri).toBe(first.storeUri)
      expect(first.value).toEqual({ sum: 18, weights: [0, 1.5, 3, 4.5], weightsType: 'Float32Array' })
      const second = await run()
      expect(second.result.steps).toEqual({ produce: 'cached', transform: 'cached', consume: 'completed' })
      expect(second.value).toEqual(first.value)
    })

    it('runs each step in its own process with nothing but the store (code bundle, inputs, journal)', async () => {
      const result = await run({ 'orchestrator.local': { isolation: 'process' } })
      expect(result.result.steps).toEqual({ produce: 'cached', transform: 'cached', consume: 'completed' })
      expect(result.value).toEqual({ sum: 18, weights: [0, 1.5, 3, 4.5], weightsType: 'Float32Array' })
      const fresh = await (async () => {
        const environment = await openRunEnvironment({ configDir, projectRoot: project })
        try {
          return await dataFlow.run({
            environment,
            params: { size: 6 },
            output: (line) => lines.push(line),
            settings: { 'orchestrator.local': { isolation: 'process' } },
          })
        } finally {
          await environment.close()
        }
      })()
      expect(fresh.steps).toEqual({ produce: 'completed', transform: 'completed', consume: 'completed' })
    })

    const secretValues = (): string[] =>
      Object.values(options.secrets?.() ?? {}).flatMap((secret) => Object.values(secret))

    it('never shows a secret value in run output', () => {
      const values = secretValues()
      const output = lines.join('\n')
      expect(output.length).toBeGreaterThan(0)
      for (const value of values) expect(output).not.toContain(value)
    })

    it('never shows a secret value in what step processes print, nor in the stored step logs, even when a step logs it', async () => {
      const values = secretValues()
      const capture = await mkdtemp(join(tmpdir(), 'strata-step-output-'))
      const output: string[] = []
      const storedLogs: string[] = []
      try {
        await withEnv(
          {
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${captureOutput.href}`.trim(),
            STRATA_TEST_CAPTURE_DIR: capture,
            STRATA_TEST_ECHO: values.join(' '),
          },
          async () => {
            for (const isolation of ['inline', 'process'] as const) {
              const environment = await openRunEnvironment({ configDir, projectRoot: project })
              try {
                const result = await loggedDataFlow.run({
                  environment,
                  output: (line) => output.push(line),
                  settings: { 'orchestrator.local': { isolation } },
                })
                expect(result.status).toBe('completed')
                for (const stepRun of await environment.repositories.runs.stepRuns(result.id)) {
                  if (stepRun.logKey)
                    storedLogs.push(await environment.artifactStore.readText(stepRun.logKey))
                }
              } finally {
                await environment.close()
              }
            }
          },
        )
        const files = readdirSync(capture)
        const printed = files.map((file) => readFileSync(join(capture, file), 'utf8')).join('\n')
        // The checks below can fail: the step processes' own output was captured, and the logs were stored.
        expect(files.filter((file) => file.endsWith('.stdout')).length).toBeGreaterThan(0)
        expect(printed).toContain('report: a line written to the process stderr')
        expect(printed).toContain('report: the sum is 18')
        expect(storedLogs).toHaveLength(2)
        // Every way of printing reaches the step's log, in-process and in a step process alike.
        for (const log of storedLogs) {
          expect(log).toContain('report: the sum is 18')
          expect(log).toContain('report: a console.error line')
          expect(log).toContain('report: a line written to the process stderr')
          expect(log).toContain('report: a line written to the process stdout')
        }
        for (const value of values) {
          expect(printed).not.toContain(value)
          for (const log of storedLogs) expect(log).not.toContain(value)
          expect(output.join('\n')).not.toContain(value)
        }
        if (values.length > 0) expect(storedLogs.join('\n')).toContain('report: logging a secret value: ')
      } finally {
        rmSync(capture, { recursive: true, force: true })
      }
    })
  })
}
