#!/usr/bin/env node
// Writes the JSON Schema files a plugin's package.json "strata" manifest points to, from the flavors its
// built entry exports, and checks that the manifest and the code agree. Run from the plugin's folder after
// its build: `tsup && strata-flavor-schemas`.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { toFlavorJsonSchema } from '../dist/index.js'

function fail(message) {
  console.error(`strata-flavor-schemas: ${message}`)
  process.exit(1)
}

const root = process.cwd()
const pkg = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8'))
const flavors = pkg.strata?.flavors
if (!Array.isArray(flavors))
  fail(`${pkg.name} has no "strata": { "flavors": [...] } manifest in package.json`)

const plugins = new Map()
const listed = new Set()
for (const entry of flavors) {
  const id = `${entry.type}/${entry.name}`
  listed.add(id)
  if (!plugins.has(entry.entry)) {
    const module = await import(pathToFileURL(resolve(root, entry.entry)).href)
    plugins.set(entry.entry, module.default)
  }
  const plugin = plugins.get(entry.entry)
  const flavor = plugin?.flavors?.find((f) => f.type === entry.type && f.name === entry.name)
  if (!flavor)
    fail(`manifest lists ${id} but ${entry.entry} does not export it — fix the manifest or the plugin`)
  for (const key of ['apiVersion', 'description']) {
    if (flavor[key] !== entry[key])
      fail(
        `${id}: manifest ${key} ${JSON.stringify(entry[key])} differs from the code's ${JSON.stringify(flavor[key])}`,
      )
  }
  for (const key of ['isLocal', 'isRemote']) {
    if ((flavor[key] ?? false) !== (entry[key] ?? false))
      fail(`${id}: manifest ${key} differs from the code's`)
  }
  if (flavor.settings && !entry.settingsSchema)
    fail(`${id} has settings: add "settingsSchema" to its manifest entry`)
  const outputs = [[entry.schema, flavor.config]]
  if (entry.settingsSchema) outputs.push([entry.settingsSchema, flavor.settings])
  for (const [file, schema] of outputs) {
    const target = resolve(root, file)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, `${JSON.stringify(toFlavorJsonSchema(schema), null, 2)}\n`)
  }
}
for (const plugin of plugins.values()) {
  for (const flavor of plugin.flavors) {
    const id = `${flavor.type}/${flavor.name}`
    if (!listed.has(id)) fail(`${id} is exported by the plugin but missing from the package.json manifest`)
  }
}
console.log(`strata-flavor-schemas: wrote ${flavors.length} schema file(s) for ${pkg.name}`)
