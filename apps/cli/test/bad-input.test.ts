import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSandbox, ok, registerDemoStack, type Sandbox } from './helpers.js'

let sandbox: Sandbox
beforeAll(async () => {
  sandbox = createSandbox()
  await registerDemoStack(sandbox)
  // A stack whose store refers to a secret that does not exist (registration warns, validation fails).
  await ok(sandbox, [
    'artifact-store',
    'register',
    'dangling',
    '--flavor',
    'demo',
    '--token={{missing.token}}',
  ])
  await ok(sandbox, ['stack', 'register', 'dangling-stack', '-o', 'inline', '-a', 'dangling'])
  // An orchestrator that runs steps remotely, for stacks whose artifact store is local.
  await ok(sandbox, ['orchestrator', 'flavor', 'register', './remote-orchestrator.mjs'])
  await ok(sandbox, ['orchestrator', 'register', 'cluster', '--flavor', 'cluster'])
  writeFileSync(join(sandbox.project, 'bad.yaml'), 'stack_name: [unclosed\ncomponents:\n  - oops\n')
  writeFileSync(join(sandbox.project, 'no-components.yaml'), 'stack_name: x\n')
}, 120_000)
afterAll(() => sandbox.cleanup())

// Each bad input: the command, and what its one-line error must say (the problem, then the fix after ' — ').
const cases: Array<[string, string[], RegExp]> = [
  [
    'unknown flavor',
    ['artifact-store', 'register', 'x', '--flavor', 'nope'],
    /unknown artifact_store flavor 'nope' — available: demo, local; see 'strata artifact-store flavor list'/,
  ],
  [
    'a first-party flavor not installed',
    ['artifact-store', 'register', 'x', '--flavor', 's3'],
    /artifact_store flavor 's3' comes with the s3 integration, which this project does not have — install it with 'strata integration install s3'/,
  ],
  [
    'invalid field value',
    ['orchestrator', 'register', 'x', '--flavor', 'inline', '--queue=q', '--concurrency=-3'],
    /orchestrator\/inline component 'x' config: 'concurrency': .*\(got -3\) — see 'strata orchestrator flavor describe inline'/,
  ],
  [
    'a value of the wrong type',
    ['orchestrator', 'register', 'x', '--flavor', 'inline', '--queue=q', '--concurrency=lots'],
    /'concurrency': .*expected number.* — see 'strata orchestrator flavor describe inline'/,
  ],
  [
    'missing required field',
    ['orchestrator', 'register', 'x', '--flavor', 'inline'],
    /orchestrator\/inline component 'x' config: 'queue' is required — see 'strata orchestrator flavor describe inline'/,
  ],
  [
    'unknown field',
    ['orchestrator', 'register', 'x', '--flavor', 'inline', '--queue=q', '--concurency=2'],
    /unknown field 'concurency' — did you mean 'concurrency'\?/,
  ],
  [
    'an unknown field with no close match',
    ['orchestrator', 'register', 'x', '--flavor', 'inline', '--queue=q', '--bogus=1'],
    /unknown field 'bogus' — remove it or use one of its fields \(queue, concurrency\); see 'strata orchestrator flavor describe inline'$/,
  ],
  [
    'a secret value in clear',
    ['artifact-store', 'register', 'x', '--flavor', 'demo', '--token=plain-value'],
    /'token' is a secret field, so its value belongs in the secrets store, not in the component — run 'strata secret create x --token=VALUE' and pass --token=\{\{x.token\}\}/,
  ],
  [
    'a reference in a field that is not secret',
    ['artifact-store', 'register', 'x', '--flavor', 'demo', '--namespace={{demo_creds.token}}'],
    /'namespace' is not a secret field, so it cannot hold the secret reference/,
  ],
  [
    'unknown component name',
    ['stack', 'register', 's2', '-o', 'nope', '-a', 'demo-store'],
    /no orchestrator named 'nope' — see 'strata orchestrator list'/,
  ],
  [
    'a stack without an artifact store',
    ['stack', 'register', 's2', '-o', 'inline'],
    /stack 's2' needs an artifact store \(--artifact-store NAME\) — see 'strata stack register --help'/,
  ],
  [
    'a remote orchestrator with a local artifact store',
    ['stack', 'register', 's2', '-o', 'cluster', '-a', 'demo-store'],
    /stack 's2' is invalid: 'demo-store': orchestrator 'cluster' \(cluster\) runs steps remotely, but artifact store 'demo-store' \(demo\) is local to this machine — use a remote artifact store \(s3, gcp\) instead: --artifact-store NAME with 'strata stack register' or 'strata stack update s2'$/,
  ],
  [
    'switching a stack to a remote orchestrator while its artifact store is local',
    ['stack', 'update', 'demo', '-o', 'cluster'],
    /stack 'demo' is invalid: 'demo-store': orchestrator 'cluster' \(cluster\) runs steps remotely, but artifact store 'demo-store' \(demo\) is local to this machine — .*'strata stack update demo'$/,
  ],
  [
    'the same with the default local artifact store',
    ['stack', 'register', 's2', '-o', 'cluster', '-a', 'default'],
    /artifact store 'default' \(local\) is local to this machine — use a remote artifact store/,
  ],
  [
    'a taken stack name',
    ['stack', 'register', 'demo', '-o', 'inline', '-a', 'demo-store'],
    /a stack named 'demo' already exists — choose another name/,
  ],
  [
    'deleting a component a stack uses',
    ['artifact-store', 'delete', 'demo-store'],
    /artifact store 'demo-store' is used by stack 'demo' — give it another artifact store \('strata stack update demo --artifact-store OTHER'\) or delete it first/,
  ],
  [
    'deleting the default stack',
    ['stack', 'delete', 'default', '-y'],
    /the default stack cannot be deleted — /,
  ],
  [
    'renaming the default stack',
    ['stack', 'rename', 'default', 'other'],
    /the default stack cannot be renamed — copy it instead: 'strata stack copy default other'/,
  ],
  [
    'deleting the active stack',
    ['stack', 'delete', 'demo', '-y'],
    /stack 'demo' is this project's active stack and cannot be deleted — activate another one first/,
  ],
  [
    'malformed YAML on import',
    ['stack', 'import', 'bad.yaml'],
    /cannot import bad.yaml: line \d+: .* — fix the YAML \(see 'strata stack export NAME' for the format\)/,
  ],
  [
    'a stack file without components',
    ['stack', 'import', 'no-components.yaml'],
    /cannot import no-components.yaml: 'components': .* — a stack file needs stack_name and components/,
  ],
  [
    'a missing stack file',
    ['stack', 'import', 'nowhere.yaml'],
    /cannot read .*nowhere.yaml — write one with 'strata stack export NAME FILE'/,
  ],
  [
    'an unresolvable secret reference',
    ['stack', 'validate', 'dangling-stack'],
    /stack 'dangling-stack' is invalid: 'dangling': secret 'missing' referenced as \{\{missing.token\}\} does not exist — create it with 'strata secret create missing --token=...' or 'strata stack register-secrets'/,
  ],
  ['an unknown stack', ['stack', 'set', 'nope'], /no stack named 'nope' — see 'strata stack list'/],
  ['an unknown secret', ['secret', 'get', 'nope'], /no secret named 'nope' — see 'strata secret list'/],
  [
    'an unknown command',
    ['stak', 'list'],
    /unknown command 'strata stak' — did you mean 'strata stack'\? see 'strata --help'/,
  ],
  [
    'an unknown option',
    ['stack', 'list', '--colour'],
    /unknown option '--colour' \(options: .*\) — see 'strata stack list --help'/,
  ],
  ['a missing argument', ['stack', 'register'], /missing NAME — see 'strata stack register --help'/],
  [
    'a bad --output',
    ['stack', 'list', '--output', 'xml'],
    /--output must be table, json or yaml, got 'xml' — see 'strata stack list --help'/,
  ],
  [
    'a bad --sort',
    ['stack', 'list', '--sort', 'colour'],
    /cannot sort by 'colour' — use one of name, created, updated/,
  ],
  [
    'a bad --sort on flavor list',
    ['artifact-store', 'flavor', 'list', '--sort', 'colour'],
    /cannot sort by 'colour' — use one of name, package, status, optionally as -FIELD or desc:FIELD/,
  ],
  [
    'a bad --page on integration list',
    ['integration', 'list', '--page', '0'],
    /--page must be at least 1 — see 'strata integration list --help'/,
  ],
  [
    'deleting a flavor components use',
    ['orchestrator', 'flavor', 'delete', 'inline'],
    /custom orchestrator flavor 'inline' is used by 'inline' — delete that component first/,
  ],
  [
    'deleting a flavor that is not custom',
    ['artifact-store', 'flavor', 'delete', 'demo'],
    /no custom artifact_store flavor named 'demo' — only flavors registered with 'strata artifact-store flavor register' can be deleted/,
  ],
  [
    'describing a missing flavor',
    ['artifact-store', 'flavor', 'describe', 'gcp'],
    /comes with the gcs integration, which is not installed — install it with 'strata integration install gcs'/,
  ],
  [
    'removing an attribute that is not set',
    ['orchestrator', 'remove-attribute', 'inline', 'colour'],
    /the component has no attribute 'colour' set — its attributes: queue, concurrency/,
  ],
  [
    'removing a required attribute',
    ['orchestrator', 'remove-attribute', 'inline', 'queue'],
    /'queue' is required/,
  ],
  [
    'an unknown integration',
    ['integration', 'install', 'nope', '--dry-run'],
    /unknown integration 'nope' — available: local, s3, gcs, kubernetes, kubeflow, mlflow/,
  ],
]

describe('every bad input', () => {
  it.each(cases)(
    '%s: exits non-zero with one line naming the problem and the fix, and leaves the store as it was',
    async (_, args, message) => {
      const before = sandbox.dump()
      const result = await sandbox.strata(args)
      expect(result.code, result.stderr).not.toBe(0)
      const lines = result.stderr
        .trimEnd()
        .split('\n')
        .filter((line) => !line.startsWith('warning:'))
      expect(lines, result.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(/^Error: .+ — .+/)
      expect(lines[0]).toMatch(message)
      expect(result.stdout).toBe('')
      expect(sandbox.dump()).toEqual(before)
    },
  )
})
