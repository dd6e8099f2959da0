#!/bin/sh
# Writes tests/remote/expected.yaml and expected-origins.yaml: what the real
# kustomize (the oracle) prints for tests/remote/app/kustomization.yaml.in
# and app-origins/kustomization.yaml.in, with the repository of
# tests/remote/repo (tag v1.4.0, then a later commit) as a local bare
# repository and tests/remote/http served on a loopback port — the same
# inputs tests/remote.rs builds at run time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
oracle="$here/../../../shared/oracle/kustomize-oracle"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$here/repo" "$work/src"
cd "$work/src"
git init -q -b main && git add -A
git -c user.email=t@t -c user.name=t commit -qm base && git tag v1.4.0
sed -i 's/1.4.0/1.5.0-rc.1/' base/deployment.yaml
git -c user.email=t@t -c user.name=t commit -qam next
git clone -q --bare "$work/src" "$work/repo.git"
port=18931
(cd "$here/http" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
sleep 1
mkdir "$work/app"
sed -e "s#{REPO}#$work/repo.git#g" -e "s#{HTTP}#127.0.0.1:$port#g" \
  "$here/app/kustomization.yaml.in" > "$work/app/kustomization.yaml"
"$oracle" build "$work/app" > "$here/expected.yaml"
# The origins name the repository and the server: written as placeholders.
mkdir "$work/app-origins"
sed -e "s#{REPO}#$work/repo.git#g" -e "s#{HTTP}#127.0.0.1:$port#g" \
  "$here/app-origins/kustomization.yaml.in" > "$work/app-origins/kustomization.yaml"
"$oracle" build "$work/app-origins" \
  | sed -e "s#$work/repo.git#{REPO}#g" -e "s#127.0.0.1:$port#{HTTP}#g" > "$here/expected-origins.yaml"
