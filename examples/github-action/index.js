// The action's code: inputs arrive as INPUT_<NAME> environment variables
// (GitHub Actions' convention), outputs go to the $GITHUB_OUTPUT file. The
// promotion itself is trueup's (the Node binding); this file only pushes the
// branch with `git push` and opens the pull request through GitHub's REST
// API, as trueup never pushes or calls a forge.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const trueup = require(process.env.TRUEUP_MODULE || 'trueup')

const input = (name, fallback) => process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || fallback

async function main () {
  const base = input('base', 'main')
  const releaseFile = input('release')
  const release = releaseFile ? trueup.ReleaseManifest.load(releaseFile) : undefined
  let promotion
  try {
    promotion = await trueup.promoteAsync(input('from'), input('to'), { release, base, repo: process.cwd() })
  } catch (err) {
    if (err.code === 'E_UNTESTED') {
      console.error(`refused: ${err.message}`)
      return 1
    }
    throw err
  }
  execFileSync('git', ['push', '--quiet', input('remote', 'origin'), `${promotion.commit}:refs/heads/${promotion.branch}`])
  const api = process.env.GITHUB_API_URL || 'https://api.github.com'
  const response = await fetch(`${api}/repos/${process.env.GITHUB_REPOSITORY}/pulls`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${input('github-token', '')}`,
      accept: 'application/vnd.github+json',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ title: promotion.title, body: promotion.body, head: promotion.branch, base }),
  })
  if (!response.ok && response.status !== 422) { // 422: a pull request for this branch exists
    throw new Error(`opening the pull request: HTTP ${response.status} ${await response.text()}`)
  }
  const url = response.ok ? (await response.json()).html_url : '(already open)'
  if (process.env.GITHUB_OUTPUT) {
    fs.appendFileSync(process.env.GITHUB_OUTPUT, `branch=${promotion.branch}\ncommit=${promotion.commit}\npull-request=${url}\n`)
  }
  console.log(`${promotion.branch} ${promotion.commit} ${url}`)
  return 0
}

main().then((code) => { process.exitCode = code }, (err) => {
  console.error(err.message)
  process.exitCode = 2
})
