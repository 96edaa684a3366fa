// What a user gets from the registry, without a registry: every public package is packed as `pnpm publish`
// would pack it (publishConfig applied, workspace:^ turned into real ranges), and fresh projects outside
// this repository install those tarballs with npm and with pnpm on the machine's own Node (the system one:
// no workspace node_modules/.bin on PATH). From there, as docs/getting-started.md says: create-strata →
// install → the step test → `strata pipeline run` → `strata artifact-store flavor list`; and a flavor package
// made from the `flavor` template, built, conformance-tested and packed, installed into the project,
// discovered and used by a run. docs/getting-started.md is followed literally in a Strata store of its own,
// its S3 section against moto (skipped with a message when moto cannot start, a failure with CI=true), its
// model section through promotion to the `predict` run that uses the version in production.
//
// The only thing a registry would do that this does not: resolve `@strata/*` by name. The projects'
// package.json point those at the tarballs (a direct dependency at its file, the rest through npm's
// `overrides` / pnpm's `pnpm.overrides`), which is why create-strata runs with --no-install here.
// Everything else (zod, vitest, typescript, esbuild, tsx, the AWS SDK, the `node` package) comes from the
// registry.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { MOTO_CREDENTIALS, startMoto } from '@strata/testing/servers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repo = resolve(import.meta.dirname, '../../..')
const rootPackage = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>
}
const pinnedNode = rootPackage.devDependencies.node

/** The public packages of the workspace: what `changeset publish` publishes. */
const publicPackages = ['packages', 'plugins', 'apps'].flatMap((group) =>
  readdirSync(join(repo, group))
    .map((name) => join(repo, group, name))
    .filter((folder) => {
      const path = join(folder, 'package.json')
      return existsSync(path) && !(JSON.parse(readFileSync(path, 'utf8')) as { private?: boolean }).private
    }),
)

// The machine's PATH without any node_modules/.bin (which `pnpm test` puts first): the Node and package
// managers a user has.
const systemPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((entry) => !entry.includes(`node_modules${'/'}.bin`))
  .join(delimiter)
const has = (command: string) =>
  spawnSync(command, ['--version'], { env: { PATH: systemPath }, encoding: 'utf8' }).status === 0
const missing = ['node', 'npm', 'pnpm'].filter((command) => !has(command))
const skip = missing.length > 0 ? `not on PATH: ${missing.join(', ')}` : undefined
if (skip && process.env.CI === 'true') throw new Error(`create-strata test cannot run: ${skip}`)
if (skip) console.warn(`skipping the create-strata test: ${skip}`)
const systemNode = skip
  ? ''
  : spawnSync('node', ['--version'], { env: { PATH: systemPath }, encoding: 'utf8' }).stdout.trim()

let work: string
let tarballs: string
let configDir: string

/** What a user's shell has: none of the npm_, pnpm or Vitest variables from the `pnpm test` that runs this file. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: systemPath,
    HOME: process.env.HOME ?? tmpdir(),
    STRATA_CONFIG_DIR: configDir,
    NO_COLOR: '1',
    ...(process.env.CI ? { CI: process.env.CI } : {}),
    ...extra,
  }
}

interface Result {
  code: number
  stdout: string
  stderr: string
}

function exec(command: string, args: string[], cwd: string, env = userEnv()): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', fail)
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }))
  })
}

/** Runs a command that must succeed; its output is in the failure. */
async function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await exec(command, args, cwd, env)
  if (result.code !== 0)
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}\n${result.stdout}\n${result.stderr}`,
    )
  return result.stdout
}

/** The tarball of a package, by name. */
function tarball(name: string): string {
  const file = `${name.replace('@', '').replace('/', '-')}-`
  const found = readdirSync(tarballs).find(
    (entry) => entry.startsWith(file) && /^\d/.test(entry.slice(file.length)),
  )
  if (!found) throw new Error(`no tarball of ${name} in ${tarballs}`)
  return join(tarballs, found)
}

/** Points the project's @strata/* at the tarballs, as a registry holding them would. */
function useTarballs(project: string, manager: 'npm' | 'pnpm'): void {
  const path = join(project, 'package.json')
  const pkg = JSON.parse(readFileSync(path, 'utf8'))
  const strata = readdirSync(tarballs)
    .filter((file) => file.startsWith('strata-'))
    .map((file) => `@strata/${file.slice('strata-'.length).replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`)
  const overrides = Object.fromEntries(strata.map((name) => [name, `file:${tarball(name)}`]))
  for (const field of ['dependencies', 'devDependencies'])
    for (const name of Object.keys(pkg[field] ?? {})) if (overrides[name]) pkg[field][name] = overrides[name]
  if (manager === 'pnpm') {
    pkg.pnpm = { ...pkg.pnpm, overrides }
    // pnpm installs a missing peer (the plugins' @strata/core) from the registry without applying
    // overrides; from a registry that has it, that is what a user gets.
    if (pkg.dependencies) pkg.dependencies['@strata/core'] = overrides['@strata/core']
  } else pkg.overrides = overrides
  writeFileSync(path, JSON.stringify(pkg, null, 2))
}

function runName(output: string): string {
  const match = /^run (\S+): completed$/m.exec(output)
  if (!match) throw new Error(`no completed run in:\n${output}`)
  return match[1] as string
}

/** The commands of each ```sh block of a page, one per line. */
function shellBlocks(markdown: string): string[][] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) =>
    (match[1] as string).split('\n').filter((line) => line.trim() !== ''),
  )
}

/** The version range of an x-range (`0.0.x`) as a test of a version. */
function inRange(version: string, range: string): boolean {
  const parts = range.split('.')
  return version.split('.').every((part, index) => parts[index] === 'x' || parts[index] === part)
}

/**
 * Runs a page's commands as a user types them, from `cwd`, in `env`: `cd` moves, `npm create
 * strata@latest` runs the packed create-strata (with --no-install), and a bare `npm install` first points
 * @strata/* at the tarballs. `npx strata integration install NAME` is the one command that asks npm to fetch
 * a @strata package by name and range (`npm install @strata/s3@0.0.x`), which the `overrides` cannot answer
 * (npm refuses a direct dependency whose range differs from its override, EOVERRIDE, and there is no
 * registry holding these): the CLI's own --dry-run says which command it would run, the tarball of that
 * package stands for the release the registry would pick (its version must be in the range), it goes into
 * package.json as that install writes it, and `npm install` installs it.
 * Returns where it ended and what each other command printed (stdout and stderr).
 */
async function follow(
  commands: string[],
  cwd: string,
  env = userEnv(),
): Promise<{ at: string; outputs: string[] }> {
  let here = cwd
  const outputs: string[] = []
  for (const command of commands) {
    const line = command.replace(/\s+#.*$/, '')
    if (line.startsWith('cd ')) {
      here = join(here, line.slice(3))
      continue
    }
    const create = /^npm create strata@latest (\S+)(?: -- (.*))?$/.exec(line)
    if (create) {
      const args = [create[1] as string, ...(create[2]?.split(' ') ?? []), '--no-install']
      await ok(
        'npm',
        ['exec', '--yes', `--package=${tarball('create-strata')}`, '--', 'create-strata', ...args],
        here,
        env,
      )
      continue
    }
    let run = line
    let planned = ''
    if (/^npx strata integration install \S+$/.test(line)) {
      planned = (await ok('sh', ['-c', `${line} --dry-run`], here, env)).trim()
      const wanted = /^npm install (@strata\/[a-z\d-]+)@(\S+)$/.exec(planned)
      if (!wanted) throw new Error(`${line} --dry-run planned something else: ${planned}`)
      const [, name, range] = wanted as unknown as [string, string, string]
      const file = tarball(name)
      const version = /-(\d+\.\d+\.\d+)\.tgz$/.exec(file)?.[1] ?? ''
      if (!inRange(version, range)) throw new Error(`${file} is not in the range ${range} the CLI installs`)
      const path = join(here, 'package.json')
      const pkg = JSON.parse(readFileSync(path, 'utf8'))
      pkg.dependencies = { ...pkg.dependencies, [name]: `file:${file}` }
      writeFileSync(path, JSON.stringify(pkg, null, 2))
      run = 'npm install'
    }
    if (line === 'npm install') useTarballs(here, 'npm')
    const result = await exec('sh', ['-c', run], here, env)
    if (result.code !== 0)
      throw new Error(`${run} (in ${here}) exited ${result.code}\n${result.stdout}\n${result.stderr}`)
    outputs.push((planned ? `${planned}\n` : '') + result.stdout + result.stderr)
  }
  return { at: here, outputs }
}

beforeAll(async () => {
  if (skip) return
  work = mkdtempSync(join(tmpdir(), 'strata-create-'))
  tarballs = join(work, 'tarballs')
  configDir = join(work, 'config')
  mkdirSync(tarballs)
  for (const folder of publicPackages) {
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { files?: string[] }
    if (pkg.files?.includes('dist') && !existsSync(join(folder, 'dist')))
      throw new Error(`${folder} is not built — run \`pnpm build\` first (\`pnpm test\` does)`)
    // The workspace's pnpm (the one running this), as `changeset publish` packs.
    await ok('pnpm', ['pack', '--pack-destination', tarballs], folder, { ...process.env })
  }
}, 120_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe.skipIf(skip)(
  'a project from an empty folder, from the packed packages',
  { timeout: 600_000 },
  () => {
    let flavorTarball: string

    it('packs every public package with exports that resolve from the tarball (no source condition)', () => {
      for (const folder of publicPackages) {
        const name = (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name: string }).name
        const packed = spawnSync('tar', ['-xzOf', tarball(name), 'package/package.json'], {
          encoding: 'utf8',
        })
        expect(packed.stdout, name).not.toContain('"source"')
        expect(packed.stdout, name).not.toContain('workspace:')
      }
    })

    it('npm: create-strata, install on the system Node, the step test, a run, the flavor list', async () => {
      const created = await ok(
        'npm',
        [
          'exec',
          '--yes',
          `--package=${tarball('create-strata')}`,
          '--',
          'create-strata',
          'my-project',
          '--with',
          's3',
          '--no-install',
        ],
        work,
        userEnv({ npm_config_user_agent: '' }),
      )
      expect(created).toContain('Created my-project (template default) with npm.')
      expect(created).toContain(
        '  cd my-project\n  npm install\n  npm run pipeline\n  npm test\n  npm run strata -- run list\n',
      )
      const project = join(work, 'my-project')
      expect(readdirSync(project).sort()).toEqual(
        ['.gitignore', 'README.md', 'package.json', 'run.yaml', 'src', 'tsconfig.json'].sort(),
      )
      useTarballs(project, 'npm')
      await ok('npm', ['install'], project)
      // The project's own Node, which npm scripts and npx run on.
      expect((await ok('npx', ['node', '--version'], project)).trim()).toBe(`v${pinnedNode}`)
      expect(await ok('npm', ['test'], project)).toMatch(/Tests\s+2 passed/)
      await ok('npm', ['run', 'typecheck'], project)
      const run = await ok('npm', ['run', 'pipeline'], project)
      expect(run).toMatch(/^run training-\S+: 3 steps on stack 'default'$/m)
      expect(run).toContain('[load] loading 50 points')
      runName(run)
      const flavors = await ok('npm', ['run', 'strata', '--', 'artifact-store', 'flavor', 'list'], project)
      expect(flavors).toMatch(/^local\s+@strata\/local@\S+\s+local\s+installed/m)
      expect(flavors).toMatch(/^s3\s+@strata\/s3@\S+\s+remote\s+installed/m)
    })

    it.runIf(systemNode && Number(systemNode.slice(1).split('.')[0]) < 22)(
      `the CLI run by the system Node (${systemNode}) itself fails in one line naming the requirement`,
      async () => {
        const result = await exec(
          'node',
          ['node_modules/@strata/cli/bin/strata.mjs', 'pipeline', 'run', 'src/pipeline.ts'],
          join(work, 'my-project'),
        )
        expect(result.code).toBe(1)
        expect(result.stdout).toBe('')
        expect(result.stderr).toBe(
          `Error: strata needs Node.js 22.16 or newer, but this is Node.js ${systemNode.slice(1)} — run it with the project's pinned Node ('pnpm exec strata ...' or a package.json script), or install Node.js 24 LTS\n`,
        )
      },
    )

    it('docs/writing-a-flavor.md: its code is the template, and its commands build, test, pack and use it', async () => {
      const doc = readFileSync(join(repo, 'docs/writing-a-flavor.md'), 'utf8')
      const template = join(import.meta.dirname, '../templates/flavor')
      const files = [...doc.matchAll(/```ts title="([^"]+)"\n([\s\S]*?)```/g)]
      expect(files.map((match) => match[1])).toEqual([
        'src/memory-store.ts',
        'src/index.ts',
        'src/memory-store.test.ts',
      ])
      for (const [, file, code] of files)
        expect(code, file).toBe(
          readFileSync(join(template, file as string), 'utf8').replaceAll('{{name}}', 'strata-memory-store'),
        )
      const [create, build, use, ...rest] = shellBlocks(doc)
      expect(rest).toEqual([])
      const flavor = (await follow(create as string[], work)).at
      expect(flavor).toBe(join(work, 'strata-memory-store'))
      const built = await follow(build as string[], flavor)
      // With CI=true strata-flavor-schemas checks the manifest the template ships instead of writing it.
      expect(built.outputs[0]).toContain('strata-flavor-schemas: strata-memory-store: manifest up to date')
      expect(built.outputs[1]).toMatch(/Tests\s+\d+ passed/)
      flavorTarball = join(flavor, 'strata-memory-store-0.1.0.tgz')
      expect(existsSync(flavorTarball)).toBe(true)
      // The project beside it (made by the test above).
      const used = await follow(use as string[], join(work, 'my-project'))
      expect(used.outputs[1]).toMatch(
        /^memory\s+strata-memory-store@0\.1\.0\s+local\s+installed\s+Artifacts in memory/m,
      )
      expect(used.outputs[2]).toContain(
        "Registered artifact store 'mem' (flavor memory from strata-memory-store@0.1.0)",
      )
      const run = used.outputs[4] as string
      expect(run).toMatch(/^run training-\S+: 3 steps on stack 'in-memory'$/m)
      const name = runName(run)
      const project = join(work, 'my-project')
      const described = JSON.parse(
        await ok('npx', ['strata', 'run', 'describe', name, '--output', 'json'], project),
      )
      expect(described.status).toBe('completed')
      await ok('npx', ['strata', 'stack', 'set', 'default'], project)
    })

    it('docs/getting-started.md, followed literally from an empty folder', async () => {
      const doc = readFileSync(join(repo, 'docs/getting-started.md'), 'utf8')
      const empty = join(work, 'guide')
      mkdirSync(empty)
      // A Strata store of its own, as a new user has: no stacks, runs or models from the tests above.
      const guideEnv = (extra: Record<string, string> = {}) =>
        userEnv({ STRATA_CONFIG_DIR: join(work, 'guide-config'), ...extra })
      const [create, run, stacks, s3, production, ...rest] = shellBlocks(doc)
      expect(rest).toEqual([])
      const project = (await follow(create as string[], empty, guideEnv())).at
      expect(project).toBe(join(empty, 'my-project'))
      const ran = await follow(run as string[], project, guideEnv())
      expect(ran.outputs[0]).toMatch(/Tests\s+2 passed/)
      runName(ran.outputs[1] as string)
      expect(ran.outputs[2]).toContain('all 3 steps cached — the orchestrator was not called')
      expect(ran.outputs[3]).toMatch(/training-\S+\s+\S+\s+training\s+completed\s+default/)
      const listed = await follow(stacks as string[], project, guideEnv())
      expect(listed.outputs[0]).toMatch(/^local\s+@strata\/local@\S+\s+local\s+installed/m)
      expect(listed.outputs[1]).toMatch(/default/)
      let trainingRuns = 2

      // The S3 section, against moto: the bucket and credentials the page asks for, in the environment.
      const bucket = 'getting-started'
      const { server: moto, skip: noMoto } = await startMoto()
      let env = guideEnv()
      if (noMoto) console.warn(`the getting-started page's S3 section is not followed: ${noMoto}`)
      try {
        if (moto) {
          const made = await fetch(`${moto.url}/${bucket}`, { method: 'PUT' })
          expect(made.status, await made.text()).toBe(200)
          env = guideEnv({
            S3_BUCKET: bucket,
            S3_ENDPOINT: moto.url,
            AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
            // The default credential chain must not go looking for a cloud metadata server.
            AWS_EC2_METADATA_DISABLED: 'true',
          })
          const onS3 = await follow(s3 as string[], project, env)
          const planned = /^npm install @strata\/s3@\S+$/m.exec(onS3.outputs[0] as string)?.[0]
          expect(planned, onS3.outputs[0]).toBeDefined()
          // The page names the command, range included.
          expect(doc).toContain(`runs \`${planned}\` here`)
          const installed = JSON.parse(
            readFileSync(join(project, 'node_modules/@strata/s3/package.json'), 'utf8'),
          ) as { version: string }
          expect(installed.version).toBe(
            (JSON.parse(readFileSync(join(repo, 'plugins/s3/package.json'), 'utf8')) as { version: string })
              .version,
          )
          expect(onS3.outputs[1]).toContain("Registered artifact store 'bucket'")
          const header = onS3.outputs[3] as string
          expect(header).toMatch(/^run training-\S+: 3 steps on stack 's3'$/m)
          // A step's cache is per artifact store: the local store's outputs are not reused.
          expect(header).not.toMatch(/cached/)
          expect(header).toMatch(/^step fit: completed$/m)
          const name = runName(header)
          trainingRuns++
          expect(onS3.outputs[4]).toMatch(/^\W*s3\s/m)
          const described = JSON.parse(
            await ok('npx', ['strata', 'run', 'describe', name, '--output', 'json'], project, env),
          )
          expect(described.status).toBe('completed')
          // What the run wrote, read from the bucket behind Strata's back.
          const listing = await (await fetch(`${moto.url}/${bucket}?list-type=2&prefix=strata/`)).text()
          expect(listing).toMatch(/<Key>strata\/[^<]+<\/Key>/)
        }

        // The model section: as many versions as training runs, the newest promoted, used by `predict`.
        // Without moto the stack is still the default one; with it, the S3 store holds the newest version's line.
        const promoted = await follow(production as string[], project, env)
        const versions = [...(promoted.outputs[0] as string).matchAll(/^v(\d+)\s/gm)].map((match) =>
          Number(match[1]),
        )
        expect(versions).toEqual(Array.from({ length: trainingRuns }, (_, index) => trainingRuns - index))
        expect(promoted.outputs[1]).toContain(`Model line v${trainingRuns} is in production.`)
        const description = promoted.outputs[2] as string
        expect(description).toMatch(new RegExp(`^Version\\s+v${trainingRuns}$`, 'm'))
        expect(description).toMatch(/^Stage\s+production$/m)
        expect(description).toMatch(/^Metadata\s+meanAbsoluteError=\d/m)
        expect(description).toMatch(/^Artifacts\s+line v\d+ \(model\)/m)
        const predicted = /\[predict\] line version (\d+): 10 -> (\S+), 100 -> (\S+)$/m.exec(
          promoted.outputs[3] as string,
        )
        expect(predicted, promoted.outputs[3]).not.toBeNull()
        const [, used, at10, at100] = predicted as unknown as [string, string, string, string]
        expect(Number(used)).toBe(trainingRuns)
        // The template's data lie on y = 2x + 1 within ±0.1, so the fitted line predicts it closely.
        expect(Math.abs(Number(at10) - 21)).toBeLessThan(0.5)
        expect(Math.abs(Number(at100) - 201)).toBeLessThan(0.5)
      } finally {
        await moto?.stop()
      }
    })

    it('pnpm: create-strata, install on the system Node, the step test, a run, the flavor package', async () => {
      const created = await ok(
        'pnpm',
        [
          `--package=${tarball('create-strata')}`,
          'dlx',
          'create-strata',
          'pnpm-project',
          '--with',
          's3,mlflow',
          '--no-install',
        ],
        work,
      )
      expect(created).toContain('Created pnpm-project (template default) with pnpm.')
      expect(created).toContain(
        '  cd pnpm-project\n  pnpm install\n  pnpm pipeline\n  pnpm test\n  pnpm strata run list\n',
      )
      const project = join(work, 'pnpm-project')
      // pnpm checks engines against the project's Node, not the system one.
      expect(readFileSync(join(project, '.npmrc'), 'utf8')).toBe(`node-version=${pinnedNode}\n`)
      useTarballs(project, 'pnpm')
      const install = await exec('pnpm', ['install'], project)
      expect(install.code, install.stdout + install.stderr).toBe(0)
      expect(install.stdout + install.stderr).not.toContain('Unsupported engine')
      expect((await ok('pnpm', ['exec', 'node', '--version'], project)).trim()).toBe(`v${pinnedNode}`)
      expect(await ok('pnpm', ['test'], project)).toMatch(/Tests\s+2 passed/)
      runName(await ok('pnpm', ['pipeline'], project))
      const flavors = await ok('pnpm', ['strata', 'experiment-tracker', 'flavor', 'list'], project)
      expect(flavors).toMatch(/^mlflow\s+@strata\/mlflow@\S+\s+\S+\s+installed/m)
      const versions = JSON.parse(
        await ok('pnpm', ['exec', 'strata', 'version', '--output', 'json'], project),
      )
      const workspaceVersion = (folder: string) =>
        (JSON.parse(readFileSync(join(repo, folder, 'package.json'), 'utf8')) as { version: string }).version
      expect(versions).toEqual({
        cli: workspaceVersion('apps/cli'),
        sdk: workspaceVersion('packages/sdk'),
        core: workspaceVersion('packages/core'),
        store: workspaceVersion('packages/store'),
        node: pinnedNode,
        plugins: {
          '@strata/local': workspaceVersion('plugins/local'),
          '@strata/mlflow': workspaceVersion('plugins/mlflow'),
          '@strata/s3': workspaceVersion('plugins/s3'),
        },
      })
      await ok('pnpm', ['add', flavorTarball], project)
      expect(await ok('pnpm', ['strata', 'artifact-store', 'flavor', 'list'], project)).toMatch(
        /^memory\s+strata-memory-store@0\.1\.0\s+local\s+installed/m,
      )
      await ok('pnpm', ['strata', 'stack', 'set', 'in-memory'], project)
      const run = await ok('pnpm', ['pipeline'], project)
      expect(run).toMatch(/^run training-\S+: 3 steps on stack 'in-memory'$/m)
      runName(run)
      expect(await ok('pnpm', ['strata', 'run', 'list'], project)).toMatch(
        /training-\S+\s+\S+\s+training\s+completed\s+in-memory/,
      )
    })
  },
)
