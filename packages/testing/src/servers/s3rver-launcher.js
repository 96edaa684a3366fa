// Runs s3rver's CLI with two deviations from S3 fixed, so that the conformance suite tests our store
// rather than s3rver's filesystem layout (both are s3rver bugs, not S3 behaviour):
// 1. Listings come in key order. s3rver walks directories, so 'a/1' is listed before 'a-b'.
// 2. PutObject is atomic. s3rver writes straight into the object's file, so a listing or HEAD during an
//    upload shows a partial object (and caches the MD5 of the partial bytes).
// Usage: node --openssl-legacy-provider s3rver-launcher.js <s3rver CLI arguments>
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

const require = createRequire(import.meta.url)
const FilesystemStore = require('s3rver/lib/stores/filesystem.js')

const listObjects = FilesystemStore.prototype.listObjects
FilesystemStore.prototype.listObjects = async function sortedListObjects(bucket, options) {
  const { startAfter = '', maxKeys = Number.POSITIVE_INFINITY } = options
  const all = await listObjects.call(this, bucket, {
    ...options,
    startAfter: '',
    maxKeys: Number.POSITIVE_INFINITY,
  })
  const objects = all.objects
    .filter((object) => object.key > startAfter)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return {
    objects: objects.slice(0, maxKeys),
    commonPrefixes: all.commonPrefixes,
    isTruncated: objects.length > maxKeys,
  }
}

let uploads = 0
FilesystemStore.prototype.putObject = async function atomicPutObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object')
  // Not ending in '._S3rver_object', so listings skip it until the rename.
  const partial = `${objectPath}.partial-${process.pid}-${uploads++}`
  await mkdir(dirname(objectPath), { recursive: true })
  const md5 = createHash('md5')
  let size = 0
  try {
    if (Buffer.isBuffer(object.content)) {
      md5.update(object.content)
      size = object.content.length
      await writeFile(partial, object.content)
    } else {
      const count = new Transform({
        transform(chunk, _encoding, callback) {
          md5.update(chunk)
          size += chunk.length
          callback(null, chunk)
        },
      })
      await pipeline(object.content, count, createWriteStream(partial))
    }
    const digest = md5.digest('hex')
    await this.putMetadata(object.bucket, object.key, object.metadata, digest)
    await rename(partial, objectPath)
    return { size, md5: digest }
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  }
}

require('s3rver/bin/s3rver.js')
