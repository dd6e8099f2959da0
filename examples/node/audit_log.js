// The deployment audit log of an environment: the commits that changed it,
// newest first, and what each did to its rendered desired state.
//
//     node examples/node/audit_log.js apps/checkout/overlays/prod DIR [N]
'use strict'
const { historyAsync, diffRevisions } = require('../../crates/node')

async function main() {
  const [path, repo, max = '5'] = process.argv.slice(2)
  const log = await historyAsync(path, { repo, max: Number(max) }) // off the main thread
  for (const commit of log) {
    console.log(`${commit.id.slice(0, 12)} ${commit.time} ${commit.author}: ${commit.subject}`)
    let delta
    try {
      delta = diffRevisions(path, `${commit.id}~1`, commit.id, { repo })
    } catch (err) {
      if (err.code !== 'E_GIT') throw err
      console.log('    (first commit)') // no parent to compare with
      continue
    }
    for (const resource of delta.resources) console.log(`    ${resource.change.padEnd(8)} ${resource.id}`)
  }
}

main().catch((err) => {
  console.error(`error (${err.code}): ${err.message}`)
  process.exit(2)
})
