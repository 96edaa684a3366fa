#!/usr/bin/env node
// Writes a plugin's "strata" manifest into its package.json and the JSON Schema files it points to, from
// the flavors its built entry exports: a flavor is declared once, in code. Run from the plugin's folder
// after its build: `tsup && strata-flavor-schemas`.
//
//   --check       fail when the package.json manifest differs from the code instead of writing it
//                 (the default when CI=true, as `pnpm install` keeps the lockfile frozen in CI)
//   --write       write the manifest even when CI=true
//   --entry PATH  the module whose default export is the plugin (default: the package's main export)
//
// The schema files are build output and are written in every mode.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { pluginEntryOf, pluginManifest, toFlavorJsonSchema, withPluginManifest } from '../dist/index.js'

function fail(message) {
  console.error(`strata-flavor-schemas: ${message}`)
  process.exit(1)
}

const { values: options } = parseArgs({
  options: { check: { type: 'boolean' }, write: { type: 'boolean' }, entry: { type: 'string' } },
})
const check = options.check ?? (!options.write && process.env.CI === 'true')

const root = process.cwd()
const packagePath = resolve(root, 'package.json')
const pkg = JSON.parse(await readFile(packagePath, 'utf8'))
const entry = options.entry ?? pluginEntryOf(pkg)

let plugin
try {
  plugin = (await import(pathToFileURL(resolve(root, entry)).href)).default
} catch (error) {
  fail(
    `cannot import ${pkg.name}'s entry ${entry} (${error?.message ?? error}) — build it first, or pass --entry`,
  )
}
if (!Array.isArray(plugin?.flavors) || plugin.flavors.length === 0)
  fail(`${entry} has no default export with flavors — export default definePlugin({ name, flavors: [...] })`)

const manifest = pluginManifest(plugin, entry)
for (const [index, flavor] of plugin.flavors.entries()) {
  const listed = manifest.flavors[index]
  // A createModule is only worth its promise if its default export is this flavor's create (the same
  // function, so the same code): read-only commands call it instead of importing the plugin.
  if (listed.create) {
    const id = `${flavor.type}/${flavor.name}`
    let created
    try {
      created = (await import(pathToFileURL(resolve(root, listed.create)).href)).default
    } catch (error) {
      fail(
        `cannot import ${id}'s createModule ${listed.create} (${error?.message ?? error}) — build it as an entry of its own`,
      )
    }
    if (created !== flavor.create)
      fail(
        `the default export of ${id}'s createModule ${listed.create} is not its create — export default the create the flavor declares`,
      )
  }
  const outputs = [[listed.schema, flavor.config]]
  if (listed.settingsSchema) outputs.push([listed.settingsSchema, flavor.settings])
  for (const [file, schema] of outputs) {
    const target = resolve(root, file)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, `${JSON.stringify(toFlavorJsonSchema(schema), null, 2)}\n`)
  }
}

const updated = withPluginManifest(pkg, manifest)
const schemas = `${manifest.flavors.length} flavor(s)`
if (JSON.stringify(updated.strata) === JSON.stringify(pkg.strata)) {
  console.log(`strata-flavor-schemas: ${pkg.name}: manifest up to date; wrote the schemas of ${schemas}`)
} else if (check) {
  fail(
    `${pkg.name}: the "strata" manifest in package.json differs from the code — run 'strata-flavor-schemas --write' (the plugin's build does) and commit package.json\n` +
      `package.json has:\n${JSON.stringify(pkg.strata ?? null, null, 2)}\nthe code declares:\n${JSON.stringify(updated.strata, null, 2)}`,
  )
} else {
  await writeFile(packagePath, `${JSON.stringify(updated, null, 2)}\n`)
  console.log(`strata-flavor-schemas: ${pkg.name}: wrote the manifest and the schemas of ${schemas}`)
}
