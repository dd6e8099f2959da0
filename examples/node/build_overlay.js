// Render an overlay of the example GitOps repository and list what it holds.
//
//     node examples/node/build_overlay.js examples/gitops/apps/checkout/overlays/prod
'use strict'
const { buildAsync } = require('../../crates/node')

async function main() {
  const folder = process.argv[2] || 'examples/gitops/apps/checkout/overlays/prod'
  const manifests = await buildAsync(folder) // off the main thread
  for (const obj of manifests.values()) {
    console.error(obj.kind, obj.metadata.name)
  }
  process.stdout.write(manifests.toYaml()) // the same bytes `kustomize build` prints
}

main().catch((err) => {
  console.error(`error (${err.code}): ${err.message}`)
  process.exit(2)
})
