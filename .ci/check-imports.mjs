#!/usr/bin/env node
// `pnpm check:imports`, two rules:
// 1. Every bare import in the workspace's files — sources, tests, benchmarks, scripts — names a package
//    that the nearest package.json declares (dependencies, devDependencies or peerDependencies), a Node
//    built-in, or the package itself. pnpm's strict layout (hoist: false) catches most undeclared imports at
//    run time, but not those the root Vitest config aliases to workspace sources.
// 2. A value import in a published package's own source (src/, not a test, test helper or test fixture)
//    names a dependency or peerDependency: tsup bundles whatever is only a devDependency into dist/, so a
//    devDependency imported there ships a private copy (a second zod beside the user's, say).
// Imports are read from TypeScript's syntax tree (static, dynamic, `import type`, `typeof import()`,
// `require()`, `export … from`), so import-like text inside strings and comments is not mistaken for one.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sourceFile = /\.(?:[cm]?[jt]s|tsx)$/
const builtins = new Set(builtinModules)

/** Tracked and new (not ignored) files: no node_modules, dist or scratch folders. */
function workspaceFiles() {
  const output = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  })
  return output.split('\0').filter((file) => sourceFile.test(file) && existsSync(join(root, file)))
}

const manifests = new Map()
/** The nearest package.json at or above the file's folder, within the repository. */
function manifestFor(file) {
  for (let folder = dirname(file); ; folder = dirname(folder)) {
    const path = join(folder, 'package.json')
    if (!manifests.has(path))
      manifests.set(
        path,
        existsSync(join(root, path)) ? JSON.parse(readFileSync(join(root, path), 'utf8')) : null,
      )
    const manifest = manifests.get(path)
    if (manifest) return { path, manifest }
    if (folder === '.') throw new Error(`no package.json above ${file}`)
  }
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for relative, absolute and `#` imports. */
function packageName(specifier) {
  if (/^(?:\.|\/|#|[a-z]+:(?!$))/i.test(specifier) && !specifier.startsWith('node:')) return undefined
  if (specifier.startsWith('node:')) return 'node:'
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Files that only tests load: `x.test.ts`, `x.test-d.ts`, `x.test-helpers.ts`, `x.test-fixtures.ts`, test-support/. */
const testOnly = /(?:\.test(?:-[a-z]+)?\.[cm]?[jt]s$|\/test-support\/)/

/** Every module specifier the file imports, with its line and whether a value (not only types) is imported. */
function importsOf(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found = []
  const add = (node, value = true) => {
    if (node && ts.isStringLiteralLike(node))
      found.push({
        specifier: node.text,
        line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
        value,
      })
  }
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, !typeOnlyImport(node.importClause))
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, !node.isTypeOnly)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node.moduleReference.expression, !node.isTypeOnly)
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node.argument.literal, false)
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      add(node.arguments[0])
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** `import type {…}`, or `import {type A, type B}` (which verbatimModuleSyntax keeps as a bare import). */
function typeOnlyImport(clause) {
  if (!clause) return false
  if (clause.isTypeOnly) return true
  const bindings = clause.namedBindings
  return (
    !clause.name &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  )
}

const problems = []
for (const file of workspaceFiles()) {
  const { path, manifest } = manifestFor(file)
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ])
  const shipped = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ])
  const published = !manifest.private && file.startsWith(`${dirname(path)}/src/`) && !testOnly.test(file)
  const text = readFileSync(join(root, file), 'utf8')
  for (const { specifier, line, value } of importsOf(file, text)) {
    const name = packageName(specifier)
    if (name === undefined || name === 'node:' || builtins.has(name)) continue
    if (!declared.has(name))
      problems.push(`${file}:${line}: '${specifier}' — ${name} is not declared in ${path}`)
    else if (published && value && !shipped.has(name))
      problems.push(
        `${file}:${line}: '${specifier}' — ${name} is only a devDependency in ${path}, but this file ships (make it a dependency or peerDependency)`,
      )
  }
}

if (problems.length > 0) {
  process.stderr.write(
    `${problems.join('\n')}\n\n${problems.length} import(s) not declared as they are used: add each package to the ` +
      'package.json named — dependencies or peerDependencies for what its published source imports, devDependencies ' +
      'for what only its tests, benchmarks or build scripts import — then `pnpm install`.\n',
  )
  process.exit(1)
}
const packages = [...manifests.values()].filter(Boolean).length
process.stdout.write(`imports: every bare import is declared by its package (${packages} packages)\n`)
