import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../sqlite/sqlite-store.js'
import { loadSecretsKey } from './secrets-key.js'

let configDir: string
beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'strata-secrets-'))
})
afterEach(async () => {
  await rm(configDir, { recursive: true, force: true })
})

const CANARY = 'canary-7f3a9c1e-do-not-leak'

describe('SecretRepository', () => {
  it('encrypts values at rest: the database file and its WAL never hold them in clear', async () => {
    const store = SqliteStore.open({ configDir, secretsKey: () => loadSecretsKey({ configDir, env: {} }) })
    await store.transaction((tx) => tx.secrets.create('aws', { access_key: 'AKIA', secret_key: CANARY }))
    await store.secrets.update('aws', { set: { session: `${CANARY}-2` }, remove: ['access_key'] })
    expect((await store.secrets.get('aws')).keys).toEqual(['secret_key', 'session'])
    expect(await store.secrets.values('aws')).toEqual({ secret_key: CANARY, session: `${CANARY}-2` })
    for (const file of readdirSync(configDir).filter((name) => name.startsWith('strata.db'))) {
      expect(readFileSync(join(configDir, file)).includes(Buffer.from('canary-7f3a9c1e'))).toBe(false)
    }
    // Key names are stored in clear; that is what `secret list` shows.
    expect(readFileSync(join(configDir, 'strata.db-wal')).includes(Buffer.from('secret_key'))).toBe(true)
    await store.close()
  })

  it('keeps the key in a 0600 file, or takes STRATA_SECRETS_KEY; a wrong key fails with the fix', async () => {
    const store = SqliteStore.open({ configDir, secretsKey: () => loadSecretsKey({ configDir, env: {} }) })
    await store.secrets.create('s', { k: 'v' })
    expect(statSync(join(configDir, 'secrets.key')).mode & 0o777).toBe(0o600)
    await store.close()
    const other = Buffer.alloc(32, 1).toString('base64')
    const wrong = SqliteStore.open({
      configDir,
      secretsKey: () => loadSecretsKey({ configDir, env: { STRATA_SECRETS_KEY: other } }),
    })
    await expect(wrong.secrets.values('s')).rejects.toThrow(
      "cannot decrypt secret 's': the secrets key is not the one it was saved with — restore the original secrets.key",
    )
    expect(() => loadSecretsKey({ configDir, env: { STRATA_SECRETS_KEY: 'short' } })).toThrow(
      'STRATA_SECRETS_KEY must hold a 32-byte key as base64 or hex',
    )
    await wrong.close()
  })

  it('refuses a new secret under a key that cannot decrypt the stored ones, so no store mixes two keys', async () => {
    const store = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 1) })
    await store.secrets.create('first', { k: CANARY })
    await store.secrets.create('second', { k: CANARY })
    await store.close()
    const wrong = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 2) })
    const refusal = await wrong.transaction((tx) => tx.secrets.create('third', { k: 'v' })).catch((e) => e)
    expect(refusal).toMatchObject({ code: 'SECRETS_KEY_MISMATCH' })
    expect(refusal.message).toContain(
      "cannot create secret 'third': the secrets key in use (STRATA_SECRETS_KEY, else secrets.key in the config directory) cannot decrypt the stored secrets 'first', 'second'",
    )
    expect(refusal.message).toContain('restore secrets.key, or set STRATA_SECRETS_KEY to it')
    expect(refusal.message).not.toContain(CANARY)
    expect((await wrong.secrets.list()).map((secret) => secret.name)).toEqual(['first', 'second'])
    await wrong.close()
    // The right key still creates, and opens everything.
    const right = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 1) })
    await right.secrets.create('third', { k: 'v' })
    expect(await right.secrets.values('first')).toEqual({ k: CANARY })
    await right.close()
  })

  it('refuses duplicates, bad names, missing keys and empty secrets without echoing values', async () => {
    const store = SqliteStore.open({ configDir, secretsKey: Buffer.alloc(32, 3) })
    const { secrets } = store
    await secrets.create('s', { k: CANARY })
    const attempts = [
      () => secrets.create('s', { k: CANARY }),
      () => secrets.create('bad.name', { k: CANARY }),
      () => secrets.create('t', { 'bad key': CANARY }),
      () => secrets.update('s', { remove: ['nope'] }),
      () => secrets.update('s', { remove: ['k'] }),
      () => secrets.update('missing', { set: { k: CANARY } }),
    ]
    const messages: string[] = []
    for (const attempt of attempts) {
      messages.push(
        await attempt().then(
          () => 'no error',
          (error: Error) => error.message,
        ),
      )
    }
    expect(messages).toEqual([
      "a secret named 's' already exists — change it with 'strata secret update s --KEY=VALUE', or delete it first",
      "invalid secret name 'bad.name' — use letters, digits, '_' and '-' (so that {{secret.key}} can refer to it)",
      "invalid key name 'bad key' in secret 't' — use letters, digits, '_' and '-' (so that {{secret.key}} can refer to it)",
      "secret 's' has no key 'nope' to remove — its keys are: k",
      "secret 's' would have no keys — give it at least one (--KEY=VALUE), or delete it with 'strata secret delete s'",
      "no secret named 'missing' — see 'strata secret list', or create it with 'strata secret create missing --KEY=VALUE'",
    ])
    await store.close()
  })

  it('lets four processes create the key file at once and agree on one key', async () => {
    // Child processes run the built package (`pnpm test` builds first).
    const script = `
      const { loadSecretsKey } = await import(${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)})
      process.stdout.write(loadSecretsKey({ configDir: process.argv[1], env: {} }).toString('hex'))
    `
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, configDir]),
      ),
    )
    expect(new Set(runs.map((run) => run.stdout)).size).toBe(1)
    expect(readdirSync(configDir)).toEqual(['secrets.key'])
  })
})
