#!/usr/bin/env bash
# Makes DIR a Git repository of the example GitOps tree with a short history,
# for the README's quick tour:
#   v1.3  the example as it is (checkout at its 1.3 digest)
#   v1.4  "Promote checkout 1.4 to prod": prod's overlay pins a new digest
#   main  one more commit, to staging only
# and a snapshot of the cluster, live/checkout-prod.json (checkout 1.3 in
# prod, scaled to 3 replicas by hand), left out of Git.
# Refuses a DIR that exists: nothing of yours is overwritten.
set -euo pipefail

dir=${1:?usage: examples/make-demo-repo.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
if [ -e "$dir" ]; then
  echo "error: $dir exists; give a new folder" >&2
  exit 2
fi
mkdir -p "$dir"
cp -R "$here/gitops/." "$dir/"
mkdir "$dir/live"
cp "$here/live/checkout-prod.json" "$dir/live/"
cd "$dir"

git init -q -b main
git config user.name "Shop CI"
git config user.email "ci@shop.example.com"
echo "live/" >> .git/info/exclude
at=1800000000
commit() {
  git add -A
  GIT_AUTHOR_DATE="@$at +0000" GIT_COMMITTER_DATE="@$at +0000" git commit -q -m "$1"
  at=$((at + 3600))
}

commit "Shop: checkout and catalog, staging and prod (checkout 1.3)"
git tag v1.3

cat >> apps/checkout/overlays/prod/kustomization.yaml <<'YAML'
images:
# checkout 1.4.0, built by CI run 1412
- name: registry.example.com/shop/checkout
  digest: sha256:7d1f0c2b9e8a7f6e5d4c3b2a1908f7e6d5c4b3a2918070f6e5d4c3b2a1908f7e
YAML
commit "Promote checkout 1.4 to prod"
git tag v1.4

sed -i.bak 's/^  FEATURE_NEW_CART: "on"$/  FEATURE_NEW_CART: "on"\n  FEATURE_ONE_CLICK: "on"/' apps/checkout/overlays/staging/config.yaml
rm -f apps/checkout/overlays/staging/config.yaml.bak
commit "Staging: try one-click checkout"

echo "made $dir: $(git log --oneline | wc -l | tr -d ' ') commits, tags v1.3 and v1.4; live state in $dir/live/"
