import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from './eventually.js'
import {
  type KubernetesTestPlane,
  kubernetesTestPlaneUnavailable,
  startKubernetesTestPlane,
} from './index.js'

const skip = kubernetesTestPlaneUnavailable()
let plane: KubernetesTestPlane | undefined
let core: CoreV1Api
let rbac: RbacAuthorizationV1Api
let hostDir: string

// One plane for the file (~5 s, ~400 MB); every test works in its own namespace, so they run concurrently.
beforeAll(async () => {
  if (skip) return
  ;({ plane } = await startKubernetesTestPlane({ imagePullBackoffMs: 1000 }))
  core = plane!.kubeConfig().makeApiClient(CoreV1Api)
  rbac = plane!.kubeConfig().makeApiClient(RbacAuthorizationV1Api)
  hostDir = await mkdtemp(join(tmpdir(), 'strata-agent-host-'))
}, 240_000)
afterAll(async () => {
  await plane?.stop()
  if (hostDir) await rm(hostDir, { recursive: true, force: true })
})

const NODE = 'node:24-slim'
const TERMINAL = ['Succeeded', 'Failed']

function node(script: string): Partial<V1PodSpec['containers'][number]> {
  return { image: NODE, command: ['node', '-e', script] }
}

async function createPod(
  namespace: string,
  name: string,
  spec: Partial<V1PodSpec>,
  labels?: Record<string, string>,
) {
  const body: V1Pod = {
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { restartPolicy: 'Never', containers: [], ...spec } as V1PodSpec,
  }
  return core.createNamespacedPod({ namespace, body })
}

const readPod = (namespace: string, name: string) => core.readNamespacedPod({ namespace, name })

function explain(namespace: string, name: string) {
  return async () => {
    const pod = await readPod(namespace, name).catch((error: Error) => error.message)
    return `pod ${namespace}/${name}: ${JSON.stringify(typeof pod === 'string' ? pod : pod.status, null, 1)}\nagent:\n${plane!.output('node-agent').slice(-3000)}`
  }
}

/** Waits until the pod is in one of `phases`, as the node reports it. */
function phase(namespace: string, name: string, phases = TERMINAL) {
  return eventually(
    `pod ${namespace}/${name} in ${phases.join('/')}`,
    async () => {
      const pod = await readPod(namespace, name)
      return phases.includes(pod.status?.phase ?? '') ? pod : undefined
    },
    { explain: explain(namespace, name) },
  )
}

/** Whether a process runs: a zombie has died (this machine's init may never reap orphans). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function podEvents(namespace: string, name: string) {
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })
  return events.items
}

describe.skipIf(skip).concurrent('the node agent', { timeout: 120_000 }, () => {
  it('runs a pod to Succeeded or Failed with the exit code, the kubelet conditions, events and logs', async () => {
    const namespace = await plane!.createNamespace('bare')
    await createPod(namespace, 'ok', {
      containers: [{ name: 'main', ...node('console.log("hello from", process.cwd())') }],
    })
    await createPod(namespace, 'fails', {
      containers: [{ name: 'main', ...node('console.error("bad"); process.exit(3)') }],
    })
    const ok = await phase(namespace, 'ok')
    const fails = await phase(namespace, 'fails')
    expect(ok.status?.phase).toBe('Succeeded')
    expect(ok.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    })
    expect(fails.status?.phase).toBe('Failed')
    expect(fails.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    })
    const conditions = Object.fromEntries((ok.status?.conditions ?? []).map((each) => [each.type, each]))
    expect(conditions.PodScheduled?.status).toBe('True')
    expect(conditions.Initialized?.status).toBe('True')
    expect(conditions.Ready).toMatchObject({ status: 'False', reason: 'PodCompleted' })
    expect(ok.status).toMatchObject({ podIP: '127.0.0.1', hostIP: '127.0.0.1' })
    expect(ok.status?.startTime).toBeDefined()
    expect(ok.spec?.nodeName).toBe(plane!.agent.nodeName)
    // The default working directory is a fresh per-pod directory, not the repository.
    expect(await plane!.agent.logs(namespace, 'ok')).toBe('hello from /workspace\n')
    expect(await plane!.agent.logs(namespace, 'fails', 'main')).toBe('bad\n')
    const reasons = await eventually('the usual events', async () => {
      const seen = (await podEvents(namespace, 'ok')).map((event) => event.reason)
      return ['Scheduled', 'Pulled', 'Created', 'Started'].every((reason) => seen.includes(reason)) && seen
    })
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']))
  })

  it('reports a signal death as 128+signal and restarts in place with OnFailure', async () => {
    const namespace = await plane!.createNamespace('restarts')
    // The first run waits to be killed; the second sees the marker in its emptyDir and succeeds.
    await createPod(namespace, 'crashy', {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'state', emptyDir: {} }],
      containers: [
        {
          name: 'main',
          ...node(`const fs = require('fs')
if (fs.existsSync('/state/marker')) { console.log('second run'); process.exit(0) }
fs.writeFileSync('/state/marker', 'x'); console.log('first run'); setInterval(() => {}, 1000)`),
          volumeMounts: [{ name: 'state', mountPath: '/state' }],
        },
      ],
    })
    await eventually('the first run', async () =>
      (await plane!.agent.logs(namespace, 'crashy').catch(() => '')).includes('first run'),
    )
    const [running] = (await plane!.agent.list()).filter((each) => each.namespace === namespace)
    expect(running).toMatchObject({ pod: 'crashy', container: 'main', restartCount: 0 })
    expect(await plane!.agent.kill(namespace, 'crashy', 'SIGKILL')).toBe(1)
    const pod = await phase(namespace, 'crashy')
    const status = pod.status?.containerStatuses?.[0]
    expect(pod.status?.phase).toBe('Succeeded')
    expect(status?.restartCount).toBe(1)
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' })
    expect(await plane!.agent.logs(namespace, 'crashy')).toBe('second run\n')
    expect(await plane!.agent.logs(namespace, 'crashy', 'main', { previous: true })).toBe('first run\n')
    expect(isRunning(running!.pid)).toBe(false)
  })

  it('runs init containers in order before the containers, and fails the pod on a failed init container', async () => {
    const namespace = await plane!.createNamespace('init')
    const volume = { volumes: [{ name: 'shared', emptyDir: {} }] }
    const mount = { volumeMounts: [{ name: 'shared', mountPath: '/shared' }] }
    const append = (word: string) => node(`require('fs').appendFileSync('/shared/order', '${word} ')`)
    await createPod(namespace, 'ordered', {
      ...volume,
      initContainers: [
        { name: 'first', ...append('first'), ...mount },
        { name: 'second', ...append('second'), ...mount },
      ],
      containers: [
        {
          name: 'main',
          ...node(`console.log(require('fs').readFileSync('/shared/order', 'utf8') + 'main')`),
          ...mount,
        },
      ],
    })
    await createPod(namespace, 'broken-init', {
      initContainers: [{ name: 'init', ...node('process.exit(7)') }],
      containers: [{ name: 'main', ...node('console.log("never")') }],
    })
    expect((await phase(namespace, 'ordered')).status?.phase).toBe('Succeeded')
    expect(await plane!.agent.logs(namespace, 'ordered', 'main')).toBe('first second main\n')
    const broken = await phase(namespace, 'broken-init')
    expect(broken.status?.phase).toBe('Failed')
    expect(broken.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(7)
    expect(broken.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing')
  })

  it('builds the environment from env, valueFrom and envFrom of real Secrets and ConfigMaps, and never leaks it into events', async () => {
    const namespace = await plane!.createNamespace('env')
    const password = 's3cr3t-pa55word-value'
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'creds' }, stringData: { password, user: 'alice' } },
    })
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'settings' }, data: { mode: 'fast' } },
    })
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'runner' } } })
    const pod = await createPod(
      namespace,
      'env',
      {
        serviceAccountName: 'runner',
        containers: [
          {
            name: 'main',
            ...node('console.log(JSON.stringify(process.env))'),
            resources: { requests: { memory: '64Mi' } },
            envFrom: [
              { secretRef: { name: 'creds' }, prefix: 'CREDS_' },
              { configMapRef: { name: 'settings' } },
              { configMapRef: { name: 'absent', optional: true } },
            ],
            env: [
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
              { name: 'ABSENT', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
              { name: 'GREETING', value: 'hello $(MODE) $$(MODE) $(UNDEFINED)' },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
              { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
              {
                name: 'MEMORY_MI',
                valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } },
              },
            ],
          },
        ],
      },
      { team: 'ml' },
    )
    expect((await phase(namespace, 'env')).status?.phase).toBe('Succeeded')
    const env = JSON.parse(await plane!.agent.logs(namespace, 'env')) as Record<string, string>
    expect(env).toMatchObject({
      PASSWORD: password,
      CREDS_password: password,
      CREDS_user: 'alice',
      mode: 'fast',
      MODE: 'fast',
      GREETING: 'hello fast $(MODE) $(UNDEFINED)',
      POD_NAME: 'env',
      POD_NAMESPACE: namespace,
      POD_UID: pod.metadata?.uid,
      SERVICE_ACCOUNT: 'runner',
      POD_IP: '127.0.0.1',
      NODE_NAME: plane!.agent.nodeName,
      TEAM: 'ml',
      MEMORY_MI: '64',
      HOSTNAME: 'env',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: new URL(plane!.server).port,
    })
    expect(env.ABSENT).toBeUndefined()
    expect(env.PATH?.startsWith('/opt/strata-image/bin:')).toBe(true)
    // Nothing of the test process's environment reaches the container.
    expect(
      Object.keys(env).filter((key) => key.startsWith('VITEST') || key === 'npm_config_user_agent'),
    ).toEqual([])
    const events = await core.listNamespacedEvent({ namespace })
    expect(events.items.length).toBeGreaterThan(0)
    expect(JSON.stringify(events.items)).not.toContain(password)
  })

  it('holds a container in CreateContainerConfigError while a Secret is missing, and starts it once it exists', async () => {
    const namespace = await plane!.createNamespace('missing-secret')
    await createPod(namespace, 'waits', {
      containers: [
        {
          name: 'main',
          ...node('console.log(process.env.TOKEN.length)'),
          env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'later', key: 'token' } } }],
        },
      ],
    })
    const waiting = await eventually(
      'CreateContainerConfigError',
      async () => {
        const state = (await readPod(namespace, 'waits')).status?.containerStatuses?.[0]?.state?.waiting
        return state?.reason === 'CreateContainerConfigError' ? state : undefined
      },
      { explain: explain(namespace, 'waits') },
    )
    expect(waiting.message).toBe('secret "later" not found')
    expect((await readPod(namespace, 'waits')).status?.phase).toBe('Pending')
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'later' }, stringData: { token: 'abcd' } },
    })
    expect((await phase(namespace, 'waits')).status?.phase).toBe('Succeeded')
    expect(await plane!.agent.logs(namespace, 'waits')).toBe('4\n')
  })

  it("runs the image's entrypoint when there is no command, in the working directory, with the securityContext's user and read-only root", async () => {
    const namespace = await plane!.createNamespace('context')
    const script = `const fs = require('fs')
const attempt = (file) => { try { fs.writeFileSync(file, 'x'); return 'written' } catch (error) { return error.code } }
console.log(JSON.stringify({
  argv0: process.argv0, cwd: process.cwd(), uid: process.getuid(), gid: process.getgid(),
  tmp: attempt('/tmp/x'), root: attempt('/opt/x'), scratch: attempt('/scratch/x'), cwdWrite: attempt('x'),
}))`
    await createPod(namespace, 'entrypoint', {
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        {
          name: 'main',
          image: NODE,
          args: ['-e', script],
          workingDir: '/app/work',
          securityContext: { runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true },
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        },
      ],
    })
    expect((await phase(namespace, 'entrypoint')).status?.phase).toBe('Succeeded')
    expect(JSON.parse(await plane!.agent.logs(namespace, 'entrypoint'))).toEqual({
      argv0: 'node',
      cwd: '/app/work',
      uid: 1000,
      gid: 1000,
      tmp: 'EROFS',
      root: 'EROFS',
      scratch: 'written',
      cwdWrite: 'EROFS',
    })
    expect(existsSync('/app')).toBe(false)
  })

  it('writes kubeconfigs with a chosen context and namespace', async () => {
    const namespace = await plane!.createNamespace('kubeconfigs')
    const path = await plane!.writeKubeconfig(join(hostDir, 'config'), { context: 'strata-ci', namespace })
    const config = new KubeConfig()
    config.loadFromFile(path)
    expect(config.getCurrentContext()).toBe('strata-ci')
    expect(config.getContextObject('strata-ci')?.namespace).toBe(namespace)
    const nodes = await config.makeApiClient(CoreV1Api).listNode()
    expect(nodes.items.map((each) => each.metadata?.name)).toEqual([plane!.agent.nodeName])
    const labels = nodes.items[0]?.metadata?.labels ?? {}
    expect(labels).toMatchObject({
      'kubernetes.io/hostname': plane!.agent.nodeName,
      'kubernetes.io/os': 'linux',
    })
    expect(labels['kubernetes.io/arch']).toMatch(/^(amd64|arm64)$/)
  })

  it('reports ErrImagePull then ImagePullBackOff for an image the node cannot run, and a StartError for a missing command', async () => {
    const namespace = await plane!.createNamespace('images')
    await createPod(namespace, 'unknown-image', {
      containers: [{ name: 'main', image: 'python:3.12-slim', command: ['python', '-V'] }],
    })
    await createPod(namespace, 'no-command', {
      containers: [{ name: 'main', image: NODE, command: ['no-such-binary'] }],
    })
    for (const reason of ['ErrImagePull', 'ImagePullBackOff']) {
      const waiting = await eventually(
        reason,
        async () => {
          const state = (await readPod(namespace, 'unknown-image')).status?.containerStatuses?.[0]?.state
            ?.waiting
          return state?.reason === reason ? state : undefined
        },
        { explain: explain(namespace, 'unknown-image') },
      )
      expect(waiting.message).toContain('"python:3.12-slim"')
    }
    expect((await readPod(namespace, 'unknown-image')).status?.phase).toBe('Pending')
    const failed = await phase(namespace, 'no-command')
    expect(failed.status?.phase).toBe('Failed')
    const terminated = failed.status?.containerStatuses?.[0]?.state?.terminated
    expect(terminated).toMatchObject({ exitCode: 128, reason: 'StartError' })
    expect(terminated?.message).toContain('exec: "no-such-binary": executable file not found in $PATH')
  })

  it('mounts configMap, secret, emptyDir, downwardAPI and hostPath volumes at their mountPath, read-only where they must be', async () => {
    const namespace = await plane!.createNamespace('volumes')
    await writeFile(join(hostDir, 'from-host.txt'), 'host file')
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: { name: 'files' },
        data: { 'a.txt': 'A' },
        binaryData: { 'b.bin': Buffer.from([0, 1, 2, 255]).toString('base64') },
      },
    })
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'sec' }, stringData: { token: 'tok-123' } },
    })
    const script = `const fs = require('fs')
const attempt = (file) => { try { fs.writeFileSync(file, 'x'); return 'written' } catch (error) { return error.code } }
console.log(JSON.stringify({
  a: fs.readFileSync('/etc/app/cfg/a.txt', 'utf8'),
  b: fs.readFileSync('/etc/app/cfg/b.bin').toString('hex'),
  renamed: fs.readFileSync('/config/items/sub/renamed.txt', 'utf8'),
  renamedMode: (fs.statSync('/config/items/sub/renamed.txt').mode & 0o777).toString(8),
  itemsOnly: fs.readdirSync('/config/items'),
  token: fs.readFileSync('/var/run/secrets/app/token', 'utf8'),
  labels: fs.readFileSync('/info/labels', 'utf8'),
  host: fs.readFileSync('/host/from-host.txt', 'utf8'),
  writeConfigMap: attempt('/etc/app/cfg/new'),
  writeSecret: attempt('/var/run/secrets/app/new'),
  writeScratch: attempt('/scratch/new'),
  writeReadOnlyScratch: attempt('/scratch-ro/new'),
  writeHost: attempt('/host/written-by-pod'),
  tmp: fs.readdirSync('/tmp'),
  etcStillThere: fs.existsSync('/etc/passwd'),
}))`
    await createPod(
      namespace,
      'volumes',
      {
        volumes: [
          { name: 'cfg', configMap: { name: 'files' } },
          {
            name: 'items',
            configMap: { name: 'files', items: [{ key: 'a.txt', path: 'sub/renamed.txt', mode: 0o600 }] },
          },
          { name: 'sec', secret: { secretName: 'sec' } },
          { name: 'scratch', emptyDir: {} },
          {
            name: 'info',
            downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
          },
          { name: 'host', hostPath: { path: hostDir, type: 'Directory' } },
        ],
        containers: [
          {
            name: 'main',
            ...node(script),
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/app/cfg' },
              { name: 'items', mountPath: '/config/items' },
              { name: 'sec', mountPath: '/var/run/secrets/app' },
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'scratch', mountPath: '/scratch-ro', readOnly: true },
              { name: 'info', mountPath: '/info' },
              { name: 'host', mountPath: '/host' },
            ],
          },
        ],
      },
      { app: 'demo', tier: 'test' },
    )
    expect((await phase(namespace, 'volumes')).status?.phase).toBe('Succeeded')
    expect(JSON.parse(await plane!.agent.logs(namespace, 'volumes'))).toEqual({
      a: 'A',
      b: '000102ff',
      renamed: 'A',
      renamedMode: '600',
      itemsOnly: ['sub'],
      token: 'tok-123',
      labels: 'app="demo"\ntier="test"',
      host: 'host file',
      writeConfigMap: 'EROFS',
      writeSecret: 'EROFS',
      writeScratch: 'written',
      writeReadOnlyScratch: 'EROFS',
      writeHost: 'written',
      tmp: [],
      etcStillThere: true,
    })
    // Mount points lived in the pod's mount namespace only: the host has none of them.
    for (const path of ['/etc/app', '/config', '/scratch', '/info', '/host', '/run/secrets/app']) {
      expect(existsSync(path)).toBe(false)
    }
    expect(existsSync(join(hostDir, 'written-by-pod'))).toBe(true)
  })

  it('fails a pod visibly when it uses a volume type the agent does not emulate', async () => {
    const namespace = await plane!.createNamespace('pvc')
    await createPod(namespace, 'claim', {
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      containers: [{ name: 'main', ...node('0'), volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    })
    const waiting = await eventually(
      'CreateContainerConfigError',
      async () => {
        const state = (await readPod(namespace, 'claim')).status?.containerStatuses?.[0]?.state?.waiting
        return state?.reason === 'CreateContainerConfigError' ? state : undefined
      },
      { explain: explain(namespace, 'claim') },
    )
    expect(waiting.message).toMatch(/volume "data": persistentVolumeClaim volumes are not emulated/)
  })

  it("lets a pod call the API with its projected service-account token, within its Role's rights", async () => {
    const namespace = await plane!.createNamespace('in-cluster')
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } })
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    })
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      },
    })
    const client = pathToFileURL(createRequire(import.meta.url).resolve('@kubernetes/client-node')).href
    const script = `const k8s = await import(${JSON.stringify(client)})
const fs = await import('node:fs')
const config = new k8s.KubeConfig()
config.loadFromCluster()
const api = config.makeApiClient(k8s.CoreV1Api)
const namespace = fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8')
const configMaps = (await api.listNamespacedConfigMap({ namespace })).items.map((item) => item.metadata.name)
let secrets
try { await api.listNamespacedSecret({ namespace }); secrets = 'allowed' } catch (error) { secrets = error.code }
console.log(JSON.stringify({ namespace, configMaps, secrets }))`
    await createPod(namespace, 'caller', {
      serviceAccountName: 'reader',
      containers: [{ name: 'main', image: NODE, command: ['node', '--input-type=module', '-e', script] }],
    })
    expect(
      (await phase(namespace, 'caller')).status?.phase,
      await plane!.agent.logs(namespace, 'caller').catch(String),
    ).toBe('Succeeded')
    expect(JSON.parse(await plane!.agent.logs(namespace, 'caller'))).toEqual({
      namespace,
      configMaps: ['kube-root-ca.crt'],
      secrets: 403,
    })
    // The same identity from the test process, through kubeconfigFor.
    const config = new KubeConfig()
    config.loadFromFile(await plane!.kubeconfigFor('reader', namespace))
    const asReader = config.makeApiClient(CoreV1Api)
    expect((await asReader.listNamespacedConfigMap({ namespace })).items).toHaveLength(1)
    await expect(asReader.listNamespacedSecret({ namespace })).rejects.toSatisfy(
      (error) => error instanceof ApiException && error.code === 403,
    )
  })

  it('kills the process group of a deleted pod (SIGTERM, SIGKILL after the grace period) and removes the pod', async () => {
    const namespace = await plane!.createNamespace('deletion')
    await createPod(namespace, 'group', {
      containers: [{ name: 'main', image: NODE, command: ['sh', '-c', 'sleep 300 & echo "child=$!"; wait'] }],
    })
    await createPod(namespace, 'stubborn', {
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'main',
          ...node(
            'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("up"); setInterval(() => {}, 1000)',
          ),
        },
      ],
    })
    const child = Number(
      (
        await eventually('the child pid', async () =>
          /child=(\d+)/.exec(await plane!.agent.logs(namespace, 'group').catch(() => '')),
        )
      )[1],
    )
    await eventually(
      'stubborn is up',
      async () => (await plane!.agent.logs(namespace, 'stubborn').catch(() => '')) === 'up\n',
    )
    expect(isRunning(child)).toBe(true)
    const gone = (name: string) =>
      eventually(
        `pod ${name} deleted`,
        async () => {
          try {
            await readPod(namespace, name)
            return false
          } catch (error) {
            return error instanceof ApiException && error.code === 404
          }
        },
        { explain: explain(namespace, name) },
      )
    await core.deleteNamespacedPod({ namespace, name: 'group' })
    const deletedAt = Date.now()
    await core.deleteNamespacedPod({ namespace, name: 'stubborn' })
    await gone('group')
    expect(isRunning(child)).toBe(false)
    await gone('stubborn')
    // The subject is a timeout: stubborn ignores SIGTERM, so only the SIGKILL at the end of its 2 s grace
    // period ends it. A lower bound from the configured period (the agent starts counting after deletedAt);
    // a slow machine only makes it longer.
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(2000)
    expect(await plane!.agent.logs(namespace, 'stubborn')).toBe('up\nignoring SIGTERM\n')
    expect((await plane!.agent.list()).filter((each) => each.namespace === namespace)).toEqual([])
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'reason=Killing' })
    expect(events.items.map((event) => event.involvedObject.name).sort()).toEqual(['group', 'stubborn'])
  })

  it('keeps a pod whose nodeSelector matches no node Pending/Unschedulable, and schedules it once the node matches', async () => {
    const namespace = await plane!.createNamespace('selector')
    await createPod(namespace, 'picky', {
      nodeSelector: { 'strata.dev/disk': 'ssd' },
      containers: [{ name: 'main', ...node('0') }],
    })
    const condition = await eventually(
      'PodScheduled=False',
      async () => {
        const scheduled = (await readPod(namespace, 'picky')).status?.conditions?.find(
          (each) => each.type === 'PodScheduled',
        )
        return scheduled?.status === 'False' ? scheduled : undefined
      },
      { explain: explain(namespace, 'picky') },
    )
    expect(condition.reason).toBe('Unschedulable')
    expect(condition.message).toBe(
      "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
    )
    const pod = await readPod(namespace, 'picky')
    expect(pod.status?.phase).toBe('Pending')
    expect(pod.spec?.nodeName).toBeUndefined()
    expect((await podEvents(namespace, 'picky')).map((event) => event.reason)).toContain('FailedScheduling')
    const label = (value: string | null) =>
      core.patchNode(
        { name: plane!.agent.nodeName, body: { metadata: { labels: { 'strata.dev/disk': value } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
    await label('ssd')
    try {
      expect((await phase(namespace, 'picky')).status?.phase).toBe('Succeeded')
    } finally {
      await label(null)
    }
  })

  it('fails a pod that outlives its activeDeadlineSeconds with reason DeadlineExceeded', async () => {
    const namespace = await plane!.createNamespace('pod-deadline')
    await createPod(namespace, 'slow', {
      activeDeadlineSeconds: 2,
      containers: [{ name: 'main', ...node('setInterval(() => {}, 1000)') }],
    })
    const pod = await phase(namespace, 'slow')
    expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' })
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(143)
    expect((await plane!.agent.list()).filter((each) => each.namespace === namespace)).toEqual([])
  })
})
