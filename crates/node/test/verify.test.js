// verify / verifyAsync: the binding's conversion, errors and outputs (the
// rules themselves are tested in tests/verify.rs).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const os = require('node:os')

const trueup = require('..')

const REPO = path.resolve(__dirname, '..', '..', '..')
const PLANTED = path.join(REPO, 'tests', 'verify', 'planted')

test('the example repository is clean', () => {
  const report = trueup.verify(path.join(REPO, 'examples', 'gitops'))
  assert.deepEqual(report.findings, [])
  assert.equal(report.overlays, 5)
  assert.equal(report.failed, false)
  assert.equal(report.summary(), '5 overlays, 22 files: 0 errors, 0 warnings, 0 accepted by exceptions')
})

test('planted findings come back as plain objects, in order', () => {
  const report = trueup.verify(PLANTED, { today: '2026-11-30', jobs: 2 })
  const expected = fs
    .readFileSync(path.join(REPO, 'tests', 'verify', 'planted.expected'), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
  assert.deepEqual(report.findings.map((f) => `${f.file}:${f.line}: ${f.rule}`), expected)
  assert.equal(report.failed, true)
  const warning = report.findings.find((f) => f.severity === 'warning')
  assert.equal(warning.file, 'apps/legacy/overlays/staging/app.yaml')
  assert.equal(report.exceptions[0].rule, 'mutable-image')
  assert.deepEqual(JSON.parse(report.toJson()).findings, report.findings)
  const sarif = JSON.parse(report.toSarif())
  assert.equal(sarif.version, '2.1.0')
  assert.equal(sarif.runs[0].results.length, expected.length)
  assert.match(report.toText(), /^\.trueup\/verify\.yaml:16:1: expired-exception: /)
})

test('verifyAsync resolves to the same report', async () => {
  const sync = trueup.verify(PLANTED, { today: '2026-11-30' })
  const later = await trueup.verifyAsync(PLANTED, { today: '2026-11-30' })
  assert.deepEqual(later.findings, sync.findings)
})

test('a bad configuration throws E_VERIFY, and rejects the async variant', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trueup-verify-'))
  const config = path.join(dir, 'verify.yaml')
  fs.writeFileSync(config, 'environments:\n- name: prod\n')
  const options = { config }
  assert.throws(() => trueup.verify(path.join(REPO, 'examples', 'gitops'), options), (e) => {
    assert.equal(e.code, 'E_VERIFY')
    assert.match(e.message, /environments\[0\]: paths is required/)
    return true
  })
  await assert.rejects(trueup.verifyAsync(path.join(REPO, 'examples', 'gitops'), options), { code: 'E_VERIFY' })
  fs.rmSync(dir, { recursive: true })
})
