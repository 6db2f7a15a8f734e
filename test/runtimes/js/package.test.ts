import { zipSync, type Zippable } from 'fflate'
import t from 'tap'
import {
  checkFiles,
  filesFromZip,
  MAX_FILE_BYTES,
  MAX_PACKAGE_BYTES,
  MAX_PACKAGE_FILES,
  normalizePath,
  zipFromFiles
} from '../../../lib/runtimes/package.js'

/**
 * A JS function's code package: which files of a zip are kept and how their paths read, what is
 * refused (traversal, absolute paths, non-UTF-8, duplicates, no code, too much) before anything
 * inflates, the same rules for a deploy body's `files`, and the zip GetFunction gives back.
 */

const MiB = 1024 * 1024
const text = (source: string) => new TextEncoder().encode(source)

/** A copy of a zip whose central directory claims `size` bytes for `name`, as a bomb's would. */
function claiming(zip: Uint8Array, name: string, patch: { size?: number; flag?: number }) {
  const bytes = Buffer.from(zip)
  for (let at = bytes.indexOf('PK\x01\x02'); at !== -1; at = bytes.indexOf('PK\x01\x02', at + 4)) {
    const length = bytes.readUInt16LE(at + 28)
    if (bytes.toString('utf8', at + 46, at + 46 + length) !== name) continue
    if (patch.size !== undefined) bytes.writeUInt32LE(patch.size, at + 24)
    if (patch.flag !== undefined) bytes.writeUInt16LE(patch.flag, at + 8)
    return bytes
  }
  throw new Error(`no central directory entry for ${name}`)
}

t.test('a zip with folders keeps its JS and JSON files and skips the rest', async (t) => {
  const zip = zipSync({
    'index.mjs': text('export const handler = async () => 1\n'),
    'lib/': new Uint8Array(0), // a folder entry, as `zip -r` writes one
    'lib/util.js': text('module.exports = 2\n'),
    'lib/util.js.map': text('{}'),
    'node_modules/dep/index.cjs': text('exports.x = 3\n'),
    'node_modules/dep/package.json': text('{"name":"dep","main":"index.cjs"}'),
    'node_modules/dep/README.md': text('# dep\n'),
    'node_modules/dep/LICENSE': text('MIT\n'),
    'types/index.d.ts': text('export {}\n'),
    '__MACOSX/lib/._util.js': new Uint8Array([0, 5, 22, 7, 0xff, 0xfe]),
    'package.json': text('{"type":"module"}')
  })
  const files = await filesFromZip(zip)
  t.same(
    [...files],
    [
      ['index.mjs', 'export const handler = async () => 1\n'],
      ['lib/util.js', 'module.exports = 2\n'],
      ['node_modules/dep/index.cjs', 'exports.x = 3\n'],
      ['node_modules/dep/package.json', '{"name":"dep","main":"index.cjs"}'],
      ['package.json', '{"type":"module"}']
    ],
    'the JS and JSON files, in directory order'
  )
})

t.test("paths with './' and '\\' are normalized; BOMs are dropped", async (t) => {
  const zip = zipSync({
    './index.js': text('\uFEFFexports.handler = 1'),
    'lib\\windows.js': text('exports.w = 1'),
    'lib/./b.json': text('\uFEFF{}')
  })
  t.same(
    [...(await filesFromZip(zip))],
    [
      ['index.js', 'exports.handler = 1'],
      ['lib/windows.js', 'exports.w = 1'],
      ['lib/b.json', '{}']
    ]
  )
})

t.test('normalizePath', (t) => {
  for (const [path, expected] of [
    ['index.js', 'index.js'],
    ['./index.js', 'index.js'],
    ['././a/./b.js', 'a/b.js'],
    ['a\\b\\c.js', 'a/b/c.js'],
    ['.\\a.js', 'a.js'],
    ['a/../b.js', 'b.js'],
    ['node_modules/ü/ñ.js', 'node_modules/ü/ñ.js']
  ]) {
    t.equal(normalizePath(path as string), expected, JSON.stringify(path))
  }
  for (const [path, why] of [
    ['../x.js', /names the file "\.\.\/x\.js" outside the package root/],
    ['a/../../x.js', /outside the package root/],
    ['..\\x.js', /outside the package root/],
    ['/x.js', /names the file "\/x\.js" by an absolute path/],
    ['\\x.js', /by an absolute path/],
    ['C:/x.js', /by an absolute path/],
    ['c:\\x.js', /by an absolute path/],
    ['a//b.js', /names the file "a\/\/b\.js" with an empty path segment/],
    ['a/', /with an empty path segment/],
    ['a\u0000.js', /names the file "a\\u0000\.js" with a NUL byte/],
    ['', /an empty path/],
    ['.', /the package root, not a file/],
    ['a/..', /the package root, not a file/]
  ]) {
    t.throws(() => normalizePath(path as string), { code: 'INVALID_PARAMETER', message: why })
  }
  t.throws(() => normalizePath('../x.js', 'files'), { message: /^Invalid files: names the file/ })
  t.throws(() => normalizePath('/'.repeat(60_000) + 'x.js'), {
    message: /^Invalid Code\.ZipFile: names the file "\/{200}…" by an absolute path/
  })
  t.end()
})

t.test('zips that name files outside the package are refused', async (t) => {
  const refused = async (files: Zippable, message: RegExp) =>
    t.rejects(filesFromZip(zipSync(files)), { code: 'INVALID_PARAMETER', message })
  // yauzl refuses '..' and absolute names itself, for every entry, before we see them.
  await refused({ '../x.js': text('1'), 'a.js': text('1') }, /invalid relative path: \.\.\/x\.js/)
  await refused({ 'a/../../x.js': text('1') }, /a\/\.\.\/\.\.\/x\.js/)
  await refused({ '/etc/x.js': text('1') }, /absolute path: \/etc\/x\.js/)
  await refused({ 'C:\\x.js': text('1') }, /absolute path: C:\/x\.js/)
  await refused({ 'a//b.js': text('1') }, /names the file "a\/\/b\.js" with an empty path segment/)
  await refused({ 'a\u0000.js': text('1') }, /with a NUL byte/)
})

t.test('a file that is not UTF-8 is refused by name', async (t) => {
  const zip = zipSync({ 'ok.js': text('1'), 'lib/bad.js': new Uint8Array([0x61, 0xff, 0x62]) })
  await t.rejects(filesFromZip(zip), {
    code: 'INVALID_PARAMETER',
    message: 'Invalid Code.ZipFile: the file "lib/bad.js" is not UTF-8 text'
  })
  // A lone surrogate encoded as UTF-8 (CESU) is not UTF-8 either.
  const cesu = zipSync({ 'a.js': new Uint8Array([0xed, 0xa0, 0x80]) })
  await t.rejects(filesFromZip(cesu), { message: /"a\.js" is not UTF-8 text/ })
})

t.test('a zip without code, or no zip at all, is refused', async (t) => {
  for (const files of [
    { 'package.json': text('{}'), 'README.md': text('# hi') },
    { 'index.ts': text('export {}') },
    { 'lib/': new Uint8Array(0) }
  ] as Zippable[]) {
    await t.rejects(filesFromZip(zipSync(files)), {
      code: 'INVALID_PARAMETER',
      message: 'Invalid Code.ZipFile: holds no .js, .mjs or .cjs file'
    })
  }
  // Refused from the directory, before the JSON (here a bomb) would inflate.
  const bomb = claiming(zipSync({ 'package.json': text('{}') }), 'package.json', {
    size: 0xffffffff
  })
  await t.rejects(filesFromZip(bomb), { message: /holds no \.js, \.mjs or \.cjs file/ })
  // An empty zip is only an end-of-directory record: it does not start as a zip with files does.
  for (const bytes of [text('exports.handler = 1'), new Uint8Array(0), zipSync({})]) {
    await t.rejects(filesFromZip(bytes), {
      code: 'INVALID_PARAMETER',
      message: 'Invalid Code.ZipFile: is not a zip archive'
    })
  }
  await t.rejects(filesFromZip(text('PK\x03\x04 and then nothing')), {
    code: 'INVALID_PARAMETER',
    message: /is not a readable zip archive/
  })
})

t.test('the same path twice is refused', async (t) => {
  await t.rejects(filesFromZip(zipSync({ 'a.js': text('1'), './a.js': text('2') })), {
    code: 'INVALID_PARAMETER',
    message: 'Invalid Code.ZipFile: names the file "a.js" twice (as "a.js" and "./a.js")'
  })
  await t.rejects(filesFromZip(zipSync({ 'lib/a.js': text('1'), 'lib\\a.js': text('2') })), {
    message: /names the file "lib\/a\.js" twice/
  })
})

t.test('limits: files, bytes per file and in total, all refused before inflating', async (t) => {
  const many: Zippable = {}
  for (let i = 0; i <= MAX_PACKAGE_FILES; i++) many[`f/${i}.js`] = [new Uint8Array(0), { level: 0 }]
  await t.rejects(filesFromZip(zipSync(many)), {
    code: 'INVALID_PARAMETER',
    message: `Invalid Code.ZipFile: holds over ${MAX_PACKAGE_FILES} files, the most a package holds`
  })
  // Skipped files and folders count toward the directory's own, larger cap.
  const skipped: Zippable = { 'index.js': text('1') }
  for (let i = 0; i < 4 * MAX_PACKAGE_FILES; i++) skipped[`d/${i}/`] = new Uint8Array(0)
  await t.rejects(filesFromZip(zipSync(skipped)), {
    message:
      /is not a readable zip archive \(it lists 40001 entries; a function's zip holds at most 40000 entries\)/
  })

  // Claimed sizes: the stored bytes are tiny, so a refusal proves nothing was inflated.
  const one = zipSync({ 'index.js': text('1'), 'big.js': text('2') })
  await t.rejects(filesFromZip(claiming(one, 'big.js', { size: MAX_FILE_BYTES + 1 })), {
    code: 'INVALID_PARAMETER',
    message: `Invalid Code.ZipFile: big.js unzips to over ${MAX_FILE_BYTES} bytes`
  })
  // A claimed size of a skipped file does not count.
  const readme = zipSync({ 'index.js': text('1'), 'README.md': text('2') })
  t.same(
    [...(await filesFromZip(claiming(readme, 'README.md', { size: 0xffffffff })))],
    [['index.js', '1']]
  )
  let total: Uint8Array = zipSync({
    'index.js': text('1'),
    ...Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`part${i}.js`, text('x')]))
  })
  for (const i of [1, 2, 3, 4, 5]) total = claiming(total, `part${i}.js`, { size: 10 * MiB })
  await t.rejects(filesFromZip(total), {
    code: 'INVALID_PARAMETER',
    message: `Invalid Code.ZipFile: unzips to over ${MAX_PACKAGE_BYTES} bytes in total`
  })

  // A directory that lies low: yauzl stops the stream past the claimed size.
  const lying = zipSync({ 'a.js': [text('x'.repeat(100_000)), { level: 9 }] })
  await t.rejects(filesFromZip(claiming(lying, 'a.js', { size: 10 })), {
    code: 'INVALID_PARAMETER',
    message: /a\.js: too many bytes in the stream/
  })
  const encrypted = claiming(zipSync({ 'a.js': text('1') }), 'a.js', { flag: 1 })
  await t.rejects(filesFromZip(encrypted), { message: /a\.js is encrypted/ })
})

t.test('checkFiles: the same rules for a deploy body', (t) => {
  t.same(
    [
      ...checkFiles(
        { './index.mjs': '\uFEFFexport {}', 'lib\\a.cjs': 'x', 'p/package.json': '{}' },
        'files'
      )
    ],
    [
      ['index.mjs', 'export {}'],
      ['lib/a.cjs', 'x'],
      ['p/package.json', '{}']
    ]
  )
  const refused = (files: Record<string, unknown>, message: string | RegExp) =>
    t.throws(() => checkFiles(files, 'files'), { code: 'INVALID_PARAMETER', message })
  refused({ 'a.js': 1 }, 'Invalid files: the file "a.js" is not a string of source text')
  refused({ 'a.js': null }, /"a\.js" is not a string/)
  refused(
    { 'a.js': '', 'a.ts': '' },
    'Invalid files: names the file "a.ts", which is not one of .js, .mjs, .cjs, .json'
  )
  refused({ 'README.md': '' }, /"README\.md", which is not one of/)
  refused({ '../a.js': '' }, 'Invalid files: names the file "../a.js" outside the package root')
  refused({ '/a.js': '' }, /"\/a\.js" by an absolute path/)
  refused({ 'C:\\a.js': '' }, /by an absolute path/)
  refused({ 'a\u0000.js': '' }, /with a NUL byte/)
  refused(
    { 'a.js': '1', './a.js': '2' },
    /names the file "a\.js" twice \(as "a\.js" and "\.\/a\.js"\)/
  )
  refused(
    { 'a.js': 'x\uD800y' },
    'Invalid files: the file "a.js" is not valid Unicode text (it holds a lone surrogate)'
  )
  refused({}, 'Invalid files: holds no .js, .mjs or .cjs file')
  refused({ 'package.json': '{}' }, 'Invalid files: holds no .js, .mjs or .cjs file')
  // Sizes are UTF-8 bytes, not characters: 'é' is two.
  refused(
    { 'a.js': 'é'.repeat(MAX_FILE_BYTES / 2 + 1) },
    `Invalid files: the file "a.js" is over ${MAX_FILE_BYTES} bytes`
  )
  t.equal(checkFiles({ 'a.js': 'é'.repeat(MAX_FILE_BYTES / 2) }, 'files').size, 1, 'at the limit')
  const part = 'x'.repeat(9 * MiB)
  refused(
    Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`p${i}.js`, part])),
    `Invalid files: its files are over ${MAX_PACKAGE_BYTES} bytes in total`
  )
  const many: Record<string, string> = {}
  for (let i = 0; i <= MAX_PACKAGE_FILES; i++) many[`${i}.js`] = ''
  refused(many, `Invalid files: holds over ${MAX_PACKAGE_FILES} files, the most a package holds`)
  t.end()
})

t.test('zipFromFiles: round trip, deterministic bytes', async (t) => {
  const big = Array.from({ length: 20_000 }, (_, i) => `exports.f${i} = () => ${i * 7}\n`).join('')
  const files = new Map([
    ['index.mjs', 'export const handler = async (event) => ({ ok: true, event })\n'],
    ['lib/ünïcode.js', 'module.exports = "日本語 – ✓ 🚀"\n'],
    ['lib/big.cjs', big],
    ['node_modules/dep/package.json', '{"name":"dep"}'],
    ['empty.js', '']
  ])
  const zip = await zipFromFiles(files)
  t.ok(zip.length < big.length / 2, `deflated (${zip.length} bytes for ${big.length} of source)`)
  t.same(new Map(await filesFromZip(zip)), files, 'filesFromZip gives the same files back')
  const sorted = [...(await filesFromZip(zip)).keys()]
  t.same(sorted, [...files.keys()].sort(), 'entries in sorted path order')

  const reversed = new Map([...files].reverse())
  t.same(Buffer.from(await zipFromFiles(reversed)), Buffer.from(zip), 'same files, same bytes')
  t.same(
    Buffer.from(await zipFromFiles(checkFiles(Object.fromEntries(files), 'files'))),
    Buffer.from(zip),
    'a deploy body of the same files, the same bytes'
  )
  const changed = new Map(files).set('empty.js', ' ')
  t.notOk(Buffer.from(await zipFromFiles(changed)).equals(zip), 'different files, other bytes')
})
