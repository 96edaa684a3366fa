// Loaded into every process of a profiled run with NODE_OPTIONS=--import=<this file> (bench/kubernetes/
// profile.mjs sets it for the submitting process and, through the pod settings' env, for the orchestrator
// and step pods). When STRATA_BENCH_TRACE_DIR is set it records, in wall-clock milliseconds:
//   - when the process started (performance.timeOrigin) and when this first module ran;
//   - the bootstrap's work: gunzipSync of the runtime, writeFileSync of it, the code bundle's writeFile;
//   - every HTTP request with its start, response headers and end — S3 on moto through node:http, the
//     Kubernetes API through undici (its diagnostics channels);
//   - the exit, with the process's CPU time;
// and writes them as one JSON file per process, <hostname>-<pid>.json (a pod's hostname is its name).
// Nothing here changes what the process does; it costs a few milliseconds per process.
import { subscribe } from 'node:diagnostics_channel'
import { createRequire, syncBuiltinESMExports } from 'node:module'

const dir = process.env.STRATA_BENCH_TRACE_DIR
if (dir) install(dir)

function install(dir) {
  const require = createRequire(import.meta.url)
  const fs = require('node:fs')
  const fsp = require('node:fs/promises')
  const zlib = require('node:zlib')
  const os = require('node:os')
  const path = require('node:path')
  const origin = performance.timeOrigin
  const now = () => origin + performance.now()
  const events = [{ what: 'hook', at: now() }]
  const span = (what, begin, fields) => events.push({ what, begin, end: now(), ...fields })
  const { writeFileSync, mkdirSync } = fs

  const gunzipSync = zlib.gunzipSync
  zlib.gunzipSync = function traced(...args) {
    const begin = now()
    const result = gunzipSync.apply(this, args)
    span('gunzip', begin, { bytes: result.length })
    return result
  }
  fs.writeFileSync = function traced(file, data, ...rest) {
    const begin = now()
    const result = writeFileSync.call(this, file, data, ...rest)
    span('writeFileSync', begin, { file: String(file), bytes: data?.length })
    return result
  }
  const writeFile = fsp.writeFile
  fsp.writeFile = async function traced(file, data, ...rest) {
    const begin = now()
    const result = await writeFile.call(this, file, data, ...rest)
    span('writeFile', begin, { file: String(file), bytes: data?.length })
    return result
  }
  for (const name of ['node:http', 'node:https']) {
    const module = require(name)
    const request = module.request
    module.request = function traced(...args) {
      const begin = now()
      const req = request.apply(this, args)
      const info = { client: name.slice(5), method: req.method, path: String(req.path).split('?')[0] }
      let done = false
      const end = (fields) => {
        if (done) return
        done = true
        span('http', begin, { ...info, ...fields })
      }
      req.once('response', (res) => {
        const headersAt = now()
        res.once('end', () => end({ status: res.statusCode, headersAt }))
        res.once('close', () => end({ status: res.statusCode, headersAt }))
      })
      req.once('error', (error) => end({ error: error.message }))
      return req
    }
  }
  syncBuiltinESMExports()

  // undici (the Kubernetes client's fetch, and Node's own fetch) reports through diagnostics channels.
  const pending = new WeakMap()
  subscribe('undici:request:create', ({ request }) => {
    pending.set(request, {
      begin: now(),
      client: 'undici',
      method: request.method,
      path: String(request.path).split('?')[0],
    })
  })
  subscribe('undici:request:headers', ({ request, response }) => {
    const entry = pending.get(request)
    if (entry) Object.assign(entry, { headersAt: now(), status: response.statusCode })
  })
  const finish = (request, fields = {}) => {
    const entry = pending.get(request)
    if (!entry) return
    pending.delete(request)
    const { begin, ...rest } = entry
    span('http', begin, { ...rest, ...fields })
  }
  subscribe('undici:request:trailers', ({ request }) => finish(request))
  subscribe('undici:request:error', ({ request, error }) => finish(request, { error: error?.message }))

  process.on('exit', (code) => {
    events.push({ what: 'exit', at: now(), code })
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      path.join(dir, `${os.hostname()}-${process.pid}.json`),
      JSON.stringify({
        host: os.hostname(),
        pid: process.pid,
        argv: process.argv.slice(1),
        origin,
        cpuMs: (({ user, system }) => (user + system) / 1000)(process.cpuUsage()),
        events,
      }),
    )
  })
}
