#!/usr/bin/env node
// `npm create strata@latest my-project` (also `pnpm create strata`, `npx create-strata`): scaffolds an
// ES-module TypeScript project from templates/, installs it, and prints what to try. Plain JavaScript that
// runs on Node 18 and up with no dependencies: it must work on the Node a user happens to have, and the
// project it writes brings the Node Strata needs (the `node` package as a devDependency).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const self = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'))

const TEMPLATES = {
  default: 'a pipeline with a step test and a run config',
  flavor: 'a third-party flavor package (an artifact store) with its conformance test',
}
/** `--with` names and the packages they add. */
const INTEGRATIONS = {
  s3: '@strata/s3',
  gcs: '@strata/gcs',
  mlflow: '@strata/mlflow',
  kubernetes: '@strata/kubernetes',
  kubeflow: '@strata/kubeflow',
}
const PACKAGE_MANAGERS = ['npm', 'pnpm']

const HELP = `Usage: create-strata [DIRECTORY] [options]

Creates a Strata project in DIRECTORY (asked for when omitted and a terminal is attached).

Options:
  -t, --template NAME          ${Object.entries(TEMPLATES)
    .map(([name, what]) => `${name}: ${what}`)
    .join('\n                               ')}
      --with LIST              integrations to add, comma-separated: ${Object.keys(INTEGRATIONS).join(', ')}
      --package-manager NAME   npm or pnpm (default: the one running this command)
      --no-install             write the files only
  -y, --yes                    ask nothing: defaults for everything not given
      --overwrite              write into a folder that is not empty
  -h, --help                   this help

Examples:
  npm create strata@latest my-project
  npm create strata@latest my-project -- --with s3,mlflow
  pnpm create strata my-flavor --template flavor`

function fail(message) {
  process.stderr.write(`create-strata: ${message}\n`)
  process.exit(1)
}

/** npm, pnpm, yarn and bun say who they are in npm_config_user_agent (`pnpm/10.34.9 npm/? node/v20…`). */
function detectPackageManager() {
  const agent = process.env.npm_config_user_agent ?? ''
  const name = agent.split('/')[0]
  return name === 'pnpm' ? 'pnpm' : name === 'npm' || name === '' ? 'npm' : name
}

function isValidPackageName(name) {
  return /^(?:@[a-z\d\-*~][a-z\d\-*._~]*\/)?[a-z\d\-~][a-z\d\-._~]*$/.test(name)
}

/** The range a scaffolded project gets for a package: this release's own (pnpm pack turns workspace:^ into ^VERSION). */
function rangeOf(name) {
  const range = self.devDependencies?.[name]
  if (!range || range.startsWith('workspace:'))
    fail(`this copy of create-strata has no published range for ${name} — run the published create-strata`)
  return range
}

function sorted(record) {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
}

function parse() {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        template: { type: 'string', short: 't' },
        with: { type: 'string' },
        'package-manager': { type: 'string' },
        'no-install': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        overwrite: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    fail(`${error.message} — see create-strata --help`)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    process.exit(0)
  }
  if (positionals.length > 1) fail(`one DIRECTORY, not ${positionals.length}: ${positionals.join(' ')}`)
  const template = values.template ?? 'default'
  if (!(template in TEMPLATES))
    fail(`no template '${template}' — choose one of: ${Object.keys(TEMPLATES).join(', ')}`)
  const integrations = (values.with ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  for (const name of integrations)
    if (!(name in INTEGRATIONS))
      fail(`no integration '${name}' — choose from: ${Object.keys(INTEGRATIONS).join(', ')}`)
  let packageManager = values['package-manager']
  if (packageManager !== undefined && !PACKAGE_MANAGERS.includes(packageManager))
    fail(`--package-manager ${packageManager} is not supported — use npm or pnpm`)
  if (packageManager === undefined) {
    const detected = detectPackageManager()
    packageManager = PACKAGE_MANAGERS.includes(detected) ? detected : 'npm'
    if (detected !== packageManager)
      process.stdout.write(`${detected} is not supported yet: using npm (--package-manager pnpm for pnpm)\n`)
  }
  return {
    directory: positionals[0],
    template,
    integrations,
    packageManager,
    install: !values['no-install'],
    yes: values.yes ?? false,
    overwrite: values.overwrite ?? false,
  }
}

async function askDirectory() {
  const prompt = createInterface({ input: process.stdin, output: process.stdout })
  const answer = (await prompt.question('Project name: (strata-project) ')).trim()
  prompt.close()
  return answer || 'strata-project'
}

function isEmpty(path) {
  return readdirSync(path).every((name) => name === '.git')
}

/** Copies a template folder, renaming `_gitignore`/`_npmrc` (npm leaves dotfiles of these names out of tarballs) and filling {{name}}. */
function copyTemplate(from, to, values) {
  mkdirSync(to, { recursive: true })
  for (const name of readdirSync(from)) {
    const source = join(from, name)
    const target = join(to, name.startsWith('_') ? `.${name.slice(1)}` : name)
    if (statSync(source).isDirectory()) copyTemplate(source, target, values)
    else
      writeFileSync(
        target,
        readFileSync(source, 'utf8').replaceAll(/\{\{(\w+)\}\}/g, (match, key) => values[key] ?? match),
      )
  }
}

function projectPackage(options, name) {
  const pnpm = options.packageManager === 'pnpm'
  const common = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=22.16' },
  }
  // The project's own Node: npm and pnpm scripts put node_modules/.bin first on PATH, so `strata`, vitest
  // and tsc run on it whatever Node is installed. pnpm 10 runs no dependency's install script unless listed.
  // npm 11 runs none unless its allowScripts lists it (earlier npm runs them all and ignores the field).
  const builds = pnpm
    ? { pnpm: { onlyBuiltDependencies: ['esbuild', 'node'] } }
    : { allowScripts: { esbuild: true, node: true } }
  if (options.template === 'flavor') {
    const flavorName = 'memory'
    return {
      ...common,
      private: undefined,
      description: `A Strata artifact store flavor (${flavorName})`,
      sideEffects: false,
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js' },
        './package.json': './package.json',
      },
      files: ['dist'],
      scripts: {
        build: 'tsc -p tsconfig.build.json && strata-flavor-schemas',
        test: 'vitest run',
        typecheck: 'tsc --noEmit',
        prepack: 'npm run build',
      },
      // What `strata-flavor-schemas` writes from the built code; in place already, so a build in CI
      // (where the tool checks instead of writing) agrees.
      strata: {
        flavors: [
          {
            type: 'artifact_store',
            name: flavorName,
            apiVersion: 1,
            description: 'Artifacts in memory, for one process',
            isLocal: true,
            entry: './dist/index.js',
            schema: `./dist/schemas/artifact_store.${flavorName}.json`,
          },
        ],
      },
      peerDependencies: { '@strata/core': '>=0.1.0 <1.0.0', zod: '^4.1.0' },
      devDependencies: sorted({
        '@strata/core': rangeOf('@strata/core'),
        '@strata/testing': rangeOf('@strata/testing'),
        '@types/node': rangeOf('@types/node'),
        node: rangeOf('node'),
        typescript: rangeOf('typescript'),
        vitest: rangeOf('vitest'),
        zod: rangeOf('zod'),
      }),
      ...builds,
    }
  }
  const dependencies = { '@strata/sdk': rangeOf('@strata/sdk'), zod: rangeOf('zod') }
  for (const integration of options.integrations) {
    const pkg = INTEGRATIONS[integration]
    dependencies[pkg] = rangeOf(pkg)
  }
  return {
    ...common,
    scripts: {
      pipeline: 'strata pipeline run src/pipeline.ts --config run.yaml',
      predict: 'strata pipeline run src/predict.ts',
      strata: 'strata',
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
    },
    dependencies: sorted(dependencies),
    devDependencies: sorted({
      '@strata/cli': rangeOf('@strata/cli'),
      '@types/node': rangeOf('@types/node'),
      node: rangeOf('node'),
      typescript: rangeOf('typescript'),
      vitest: rangeOf('vitest'),
    }),
    ...builds,
  }
}

function commands(options) {
  const run = options.packageManager === 'pnpm' ? 'pnpm' : 'npm run'
  if (options.template === 'flavor')
    return [`${run} build`, `${options.packageManager} test`, `${options.packageManager} pack`]
  const strata = options.packageManager === 'pnpm' ? 'pnpm strata' : 'npm run strata --'
  return [`${run} pipeline`, `${options.packageManager} test`, `${strata} run list`]
}

const options = parse()
let directory = options.directory
if (directory === undefined) {
  if (options.yes || !process.stdin.isTTY) directory = 'strata-project'
  else directory = await askDirectory()
}
const root = resolve(directory)
const name = basename(root)
if (!isValidPackageName(name))
  fail(`'${name}' is not a valid npm package name — use lower case letters, digits, '-' and '.'`)
if (existsSync(root) && !isEmpty(root) && !options.overwrite)
  fail(`${root} is not empty — choose another folder, or pass --overwrite to write into it`)

const pkg = projectPackage(options, name)
const shown = relative(process.cwd(), root) || '.'
const values = {
  name,
  run: options.packageManager === 'pnpm' ? 'pnpm' : 'npm run',
  strata: options.packageManager === 'pnpm' ? 'pnpm strata' : 'npm run strata --',
  exec: options.packageManager === 'pnpm' ? 'pnpm exec' : 'npx',
  pm: options.packageManager,
  install: options.packageManager === 'pnpm' ? 'pnpm add' : 'npm install',
}
copyTemplate(join(here, 'templates', options.template), root, values)
writeFileSync(join(root, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
// pnpm checks engines against the Node this project installs, not the one running pnpm (npm has no such
// setting, and warns about engines on an older Node: the project still runs on its own).
if (options.packageManager === 'pnpm')
  writeFileSync(join(root, '.npmrc'), `node-version=${rangeOf('node')}\n`)
process.stdout.write(`Created ${shown} (template ${options.template}) with ${options.packageManager}.\n`)

if (options.install) {
  process.stdout.write(`Installing with ${options.packageManager} install…\n`)
  const result = spawnSync(options.packageManager, ['install'], { cwd: root, stdio: 'inherit' })
  if (result.error) fail(`could not run ${options.packageManager}: ${result.error.message}`)
  if (result.status !== 0)
    fail(
      `${options.packageManager} install failed in ${shown} (exit ${result.status}) — fix what it printed, then run it again there`,
    )
}

const steps = [
  ...(shown === '.' ? [] : [`cd ${shown}`]),
  ...(options.install ? [] : [`${options.packageManager} install`]),
  ...commands(options),
]
process.stdout.write(`\nDone. Now run:\n\n${steps.map((step) => `  ${step}`).join('\n')}\n`)
