"""Tests of the Python binding: conversions, errors, and a sample of the
shared conformance fixtures. The engine itself is tested in Rust."""

import doctest
import json
import os
import pathlib
import threading

import pytest

import trueup

REPO = pathlib.Path(__file__).resolve().parents[3]
CONFORMANCE = REPO / "tests" / "conformance"
SAMPLE = [
    "realistic-web-app",
    "scalars-numbers",
    "strings-multiline",
    "strings-long-folding",
    "keys-natural-sort",
    "order-many-kinds",
    "three-levels",
    "list-expansion",
]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: app
        image: app:1.0
        env:
        - {name: DEBUG, value: "yes"}
"""


@pytest.mark.parametrize("case", SAMPLE)
def test_build_matches_kustomize_golden(case):
    folder = CONFORMANCE / case
    expected = (folder / "expected.yaml").read_text()
    assert trueup.build(folder).to_yaml() == expected
    assert trueup.build(str(folder)).to_yaml() == expected


def test_every_conformance_case_through_python():
    cases = sorted(p.parent for p in CONFORMANCE.glob("*/.case"))
    assert len(cases) >= 40
    for folder in cases:
        golden = folder / "expected.yaml"
        # A kustomize behaviour trueup does not reproduce yet (tests/conformance.rs).
        known_difference = "known-difference:" in (folder / ".case").read_text()
        if golden.exists() and known_difference:
            assert trueup.build(folder).to_yaml() != golden.read_text(), folder.name
        elif golden.exists():
            assert trueup.build(folder).to_yaml() == golden.read_text(), folder.name
        else:
            with pytest.raises(trueup.TrueupError):
                trueup.build(folder)


def test_objects_are_plain_python_data():
    ms = trueup.load_manifests(DEPLOYMENT)
    assert len(ms) == 1
    obj = ms[0]
    assert type(obj) is dict
    assert obj["spec"]["replicas"] == 3
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "DEBUG", "value": "yes"}]
    assert list(ms) == [obj] == ms.to_list()
    assert ms[-1] == obj
    with pytest.raises(IndexError):
        ms[1]
    assert ms.ids() == ["apps/Deployment/prod/web"]
    assert json.loads(ms.to_json()) == [obj]


def test_scalar_types_cross_the_boundary():
    ms = trueup.load_manifests(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
        "spec:\n  i: 7\n  big: 12345678901234567890\n  f: 1.5\n  b: true\n  n: null\n  s: '7'\n  t: 2024-01-01\n"
    )
    spec = ms[0]["spec"]
    assert spec == {
        "i": 7,
        "big": 12345678901234567890,
        "f": 1.5,
        "b": True,
        "n": None,
        "s": "7",
        "t": "2024-01-01T00:00:00Z",
    }


def test_bytes_input_and_yaml_output():
    ms = trueup.load_manifests(DEPLOYMENT.encode())
    assert ms.to_yaml().startswith("apiVersion: apps/v1\nkind: Deployment\n")
    assert '      - env:\n        - name: DEBUG\n          value: "yes"\n' in ms.to_yaml()


def test_yaml_error_carries_file_and_line():
    with pytest.raises(trueup.YamlError) as info:
        trueup.load_manifests("a: 1\nb: [1, 2\n", file="broken.yaml")
    err = info.value
    assert isinstance(err, trueup.TrueupError)
    assert err.code == "E_YAML"
    assert err.file == "broken.yaml"
    assert "broken.yaml" in str(err) and err.message == str(err)


def test_invalid_utf8_bytes():
    with pytest.raises(trueup.YamlError, match="UTF-8"):
        trueup.load_manifests(b"a: \xff\n", file="bin.yaml")


def test_manifest_error_names_file_and_document():
    with pytest.raises(trueup.ManifestError) as info:
        trueup.load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", file="cm.yaml")
    assert info.value.code == "E_MANIFEST"
    assert "cm.yaml" in str(info.value) and "metadata.name" in str(info.value)


def test_remote_bases_from_a_local_repository(tmp_path, monkeypatch):
    import subprocess

    src = tmp_path / "src"
    (src / "base").mkdir(parents=True)
    (src / "base" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote\n"
    (src / "base" / "cm.yaml").write_text(cm)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "one"], ["tag", "v1"]):
        subprocess.run(["git", *args], cwd=src, check=True, env=env)
    bare = tmp_path / "repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(bare)], check=True, env=env)
    app = tmp_path / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text(f"resources:\n- file://{bare}//base?ref=v1\n")
    monkeypatch.setenv("TRUEUP_CACHE_DIR", str(tmp_path / "cache"))
    assert trueup.build(app).to_yaml() == cm
    with pytest.raises(trueup.UnsupportedError, match="network access is off"):
        trueup.build(app, remote=False)
    [overlay] = trueup.build_all(app, remote=False)
    assert isinstance(overlay["error"], trueup.UnsupportedError)


def test_build_all_changed_since_a_revision(tmp_path):
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    for app in ("a", "b"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
        (tmp_path / app / "cm.yaml").write_text(cm.format(app))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, env=env)
    assert trueup.build_all(tmp_path, changed_since="HEAD") == []
    (tmp_path / "b" / "cm.yaml").write_text(cm.format("b2"))
    [overlay] = trueup.build_all(tmp_path, changed_since="HEAD")
    assert overlay["path"] == "b" and overlay["manifests"].ids() == ["/ConfigMap//b2"]


def test_overlay_and_unsupported_errors(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("helmCharts:\n- name: redis\nresources: [cm.yaml]\n")
    with pytest.raises(trueup.UnsupportedError) as info:
        trueup.build(tmp_path)
    assert isinstance(info.value, trueup.OverlayError)
    assert info.value.code == "E_UNSUPPORTED" and info.value.field == "helmCharts"
    assert "helmCharts" in str(info.value) and "kustomization.yaml" in str(info.value)

    (tmp_path / "empty").mkdir()
    with pytest.raises(trueup.OverlayError, match="unable to find") as info:
        trueup.build(tmp_path / "empty")
    assert info.value.file == str(tmp_path / "empty")


def test_paths_that_are_not_folders_are_os_errors_named_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OSError) as info:
        trueup.build("no/such/overlay")
    err = info.value
    assert isinstance(err, trueup.IoError) and isinstance(err, trueup.TrueupError)
    assert str(err) == "no/such/overlay: does not exist"
    assert (err.file, err.filename, err.errno, err.code) == ("no/such/overlay", "no/such/overlay", 2, "E_IO")
    (tmp_path / "file.yaml").write_text("a: 1\n")
    with pytest.raises(trueup.IoError, match="file.yaml: is not a directory") as info:
        trueup.build("file.yaml")
    assert info.value.errno == 20
    # A file of a base reached through `..` is named from the current folder.
    (tmp_path / "apps/base").mkdir(parents=True)
    (tmp_path / "apps/prod").mkdir()
    (tmp_path / "apps/base/kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (tmp_path / "apps/base/cm.yaml").write_text("kind: ConfigMap\nmetadata: {name: a}\nx: [\n")
    (tmp_path / "apps/prod/kustomization.yaml").write_text("resources: [../base]\n")
    with pytest.raises(trueup.YamlError) as info:
        trueup.build("apps/prod")
    assert info.value.file == "apps/base/cm.yaml"


def test_duplicate_ids_are_errors():
    text = DEPLOYMENT + "---\n" + DEPLOYMENT
    with pytest.raises(trueup.OverlayError, match="already registered"):
        trueup.load_manifests(text, file="dup.yaml")


def test_build_releases_the_gil():
    # Several threads build at once; each must see the right answer.
    folder = CONFORMANCE / "realistic-web-app"
    expected = (folder / "expected.yaml").read_text()
    results = []

    def work():
        for _ in range(20):
            results.append(trueup.build(folder).to_yaml() == expected)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results and all(results)


def test_version_and_repr():
    assert trueup.__version__
    assert repr(trueup.load_manifests("")) == "<ManifestSet of 0 objects>"


def test_module_docstring_examples():
    failures, tried = doctest.testmod(trueup)
    assert tried > 0 and failures == 0


def test_python_audit_log_example(gitops):
    import subprocess
    import sys

    prod = "apps/checkout/overlays/prod"
    out = subprocess.run(
        [sys.executable, "examples/python/audit_log.py", prod, "--repo", str(gitops)],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    head, first = git(gitops, "rev-parse", "HEAD"), git(gitops, "rev-parse", "HEAD~1")
    assert out[0].startswith(head[:12]) and out[0].endswith("Py Test: Rename prod objects")
    # The rename removes every prod object and adds it under its new name.
    delta = trueup.diff_revisions(prod, "HEAD~1", "HEAD", repo=gitops)
    changed = out[1 : 1 + len(delta["resources"])]
    assert len(delta["resources"]) > 0
    assert [line.split() for line in changed] == [[r["change"], r["id"]] for r in delta["resources"]]
    assert out[-2].startswith(first[:12]) and out[-1] == "    (first commit)"


def test_python_example_prints_the_golden():
    import subprocess
    import sys

    golden = (CONFORMANCE / "example-checkout-prod" / "expected.yaml").read_text()
    # The example renders the overlay alone; the golden adds the namespaces.
    alone = trueup.build(REPO / "examples/gitops/apps/checkout/overlays/prod").to_yaml()
    out = subprocess.run(
        [sys.executable, "examples/python/build_overlay.py", "examples/gitops/apps/checkout/overlays/prod"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == alone
    for doc in alone.split("---\n"):
        assert doc in golden
    assert "Deployment checkout" in out.stderr


def readme_block(language):
    text = (REPO / "README.md").read_text()
    start = text.index(f"```{language}\n") + len(language) + 4
    return text[start : text.index("```", start)]


def test_readme_python_example_runs():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", readme_block("python")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Deployment checkout" in out.stdout
    assert "{'synced': 1, 'outOfSync': 2, 'missing': 1, 'extraneous': 1}" in out.stdout
    assert out.stdout.rstrip().endswith("E_MANIFEST cm.yaml")


def test_parse_limits_are_keyword_options():
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n"
    assert len(trueup.load_manifests(doc, max_depth=2)) == 1
    with pytest.raises(trueup.YamlError, match="nesting") as info:
        trueup.load_manifests(doc, file="deep.yaml", max_depth=1)
    assert info.value.file == "deep.yaml" and info.value.line == 4
    with pytest.raises(trueup.YamlError, match="larger than the limit"):
        trueup.load_manifests(doc, max_document_size=10)
    with pytest.raises(trueup.YamlError, match="alias"):
        trueup.load_manifests(doc + "x: &a [1, 2]\ny: *a\n", max_alias_nodes=1)
    with pytest.raises(trueup.YamlError):
        trueup.load_manifests("[" * 10_000)


def test_broken_json_is_called_json(tmp_path):
    path = tmp_path / "live.json"
    path.write_text('{"kind": "List", "items": [\n  {"kind": "ConfigMap",}\n]}\n')
    with pytest.raises(trueup.YamlError, match="invalid JSON: trailing comma") as info:
        trueup.load_manifests_file(path)
    assert (info.value.file, info.value.line, info.value.column) == (str(path), 2, 24)


def test_load_manifests_file(tmp_path):
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    assert trueup.load_manifests_file(path).ids() == ["/ConfigMap//x"]
    with pytest.raises(trueup.IoError) as info:
        trueup.load_manifests_file(tmp_path / "nope.yaml")
    assert info.value.code == "E_IO" and info.value.file.endswith("nope.yaml")
    path.write_text("kind: ConfigMap\n")
    with pytest.raises(trueup.ManifestError, match="cm.yaml"):
        trueup.load_manifests_file(str(path))


def test_build_all_renders_every_overlay_and_isolates_failures(tmp_path):
    examples = REPO / "examples" / "gitops"
    results = trueup.build_all(examples, jobs=2)
    assert [r["path"] for r in results] == [
        "apps/catalog/overlays/prod",
        "apps/catalog/overlays/staging",
        "apps/checkout/overlays/prod",
        "apps/checkout/overlays/staging",
        "platform/namespaces",
    ]
    for r in results:
        assert r["error"] is None
        assert r["manifests"].to_yaml() == trueup.build(examples / r["path"]).to_yaml()

    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (tmp_path / "ok" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "kustomization.yaml").write_text("resources: [nope.yaml]\n")
    results = trueup.build_all(tmp_path)
    assert [r["path"] for r in results] == ["bad", "ok"]
    assert isinstance(results[0]["error"], trueup.OverlayError)
    assert "nope.yaml" in str(results[0]["error"]) and results[0]["manifests"] is None
    assert results[1]["manifests"].ids() == ["/ConfigMap//x"]


def test_load_restrictor_option():
    case = CONFORMANCE / "error-file-outside-root"
    with pytest.raises(trueup.OverlayError, match="not in or below"):
        trueup.build(case)
    assert trueup.build(case, load_restrictor="none").ids() == ["/ConfigMap//outside"]
    with pytest.raises(trueup.OverlayError, match="root-only or none"):
        trueup.build(case, load_restrictor="loose")


def test_files_outside_the_folder_are_refused_through_absolute_paths_and_links(tmp_path):
    outside = tmp_path / "outside.env"
    outside.write_text("TOKEN=outside-secret-value\n")
    absolute = tmp_path / "absolute"
    absolute.mkdir()
    (absolute / "kustomization.yaml").write_text(
        f"configMapGenerator:\n- name: x\n  envs: [{outside}]\n"
    )
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "link.env").symlink_to(outside)
    (linked / "kustomization.yaml").write_text(
        "configMapGenerator:\n- name: x\n  envs: [link.env]\n"
    )
    for case in (absolute, linked):
        with pytest.raises(trueup.OverlayError, match="security; file") as err:
            trueup.build(case)
        assert "outside-secret-value" not in str(err.value)


def test_yaml_errors_carry_line_and_column_and_no_raw_control_bytes():
    with pytest.raises(trueup.YamlError) as err:
        trueup.load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\x1bb\n", file="cm.yaml")
    assert (err.value.file, err.value.line, err.value.column) == ("cm.yaml", 4, 10)
    assert "U+001B" in str(err.value) and "\x1b" not in str(err.value)


DIFF = REPO / "tests" / "fixtures" / "diff"

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
data:
  password: {password}
  user: YWRtaW4=
"""


def test_diff_masks_secret_values_unless_asked():
    desired = trueup.load_manifests(SECRET.format(password="bmV3LXNlY3JldA=="))
    live = trueup.load_manifests(SECRET.format(password="b2xkLXNlY3JldA=="))
    report = trueup.diff(desired, live)
    text = json.dumps(report)
    assert report["resources"][0]["status"] == "OutOfSync"
    for value in ("bmV3LXNlY3JldA==", "b2xkLXNlY3JldA==", "YWRtaW4="):
        assert value not in text
    change = report["resources"][0]["changes"][0]
    assert change["path"] == "data.password"
    assert set(change["live"]) == {"+"} and change["live"] != change["desired"]
    shown = json.dumps(trueup.diff(desired, live, show_secrets=True))
    assert "bmV3LXNlY3JldA==" in shown


def test_empty_live_input_is_a_report_warning():
    report = trueup.diff(DIFF / "desired.yaml", trueup.load_manifests(""))
    assert report["summary"]["missing"] == len(report["resources"]) > 0
    assert report["warnings"] == [
        {"id": "", "message": "the live input holds no objects: every desired object is reported Missing"}
    ]


def test_diff_runs_argo_cd_health_scripts_sandboxed(tmp_path):
    scripts = tmp_path / "resource_customizations"
    (scripts / "example.com" / "Widget").mkdir(parents=True)
    (scripts / "example.com" / "Widget" / "health.lua").write_text(
        "return {status = 'Degraded', message = 'widget ' .. obj.metadata.name}\n"
    )
    (scripts / "example.com" / "Loop").mkdir()
    (scripts / "example.com" / "Loop" / "health.lua").write_text("while true do end\n")
    text = "".join(
        f"apiVersion: example.com/v1\nkind: {kind}\nmetadata:\n  name: w\n  namespace: prod\n---\n"
        for kind in ("Widget", "Loop")
    )
    objects = trueup.load_manifests(text)
    report = trueup.diff(objects, objects, health_scripts=scripts)
    health = {r["id"]: (r["health"], r["healthMessage"]) for r in report["resources"]}
    assert health["example.com/Widget/prod/w"] == ("Degraded", "widget w")
    assert health["example.com/Loop/prod/w"][0] == "Unknown"
    assert "more than a second" in health["example.com/Loop/prod/w"][1]
    assert trueup.diff(objects, objects)["resources"][0]["health"] is None


def test_diff_ignores_aggregated_roles_when_asked():
    role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: admin\naggregationRule:\n  clusterRoleSelectors: [{matchLabels: {a: b}}]\n"
    desired = trueup.load_manifests(role + "rules: []\n")
    live = trueup.load_manifests(role + "rules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n")
    assert trueup.diff(desired, live)["sync"] == "OutOfSync"
    assert trueup.diff(desired, live, ignore_aggregated_roles=True)["sync"] == "Synced"


def test_diff_returns_the_cli_json_report():
    report = trueup.diff(DIFF / "desired.yaml", str(DIFF / "live.json"), app="web")
    expected = json.loads((DIFF / "expected.json").read_text())
    assert report == expected
    assert report["summary"] == {"synced": 1, "outOfSync": 2, "missing": 1, "extraneous": 1}
    deployment = report["resources"][3]
    assert [(c["path"], c["cause"]) for c in deployment["changes"]] == [
        ("spec.replicas", "drift"),
        ("spec.template.spec.containers[name=app].image", "change"),
        ("spec.template.spec.containers[name=app].env[name=DEBUG]", "drift"),
    ]


def test_diff_takes_manifest_sets_and_options(tmp_path):
    desired = trueup.load_manifests_file(DIFF / "desired.yaml")
    live = trueup.load_manifests((DIFF / "live.json").read_bytes(), file="live.json")
    rules = tmp_path / "ignore.yaml"
    rules.write_text("- group: apps\n  kind: Deployment\n  jsonPointers: [/spec/replicas]\n")
    report = trueup.diff(desired, live, ignore=rules, app="web", hand_edit_managers=[])
    paths = [c["path"] for r in report["resources"] for c in r["changes"]]
    # replicas ignored; the hand-added env var no longer counts as a hand edit.
    assert paths == ["data.OLD_FLAG", "spec.template.spec.containers[name=app].image"]
    in_sync = trueup.diff(desired, desired)
    assert in_sync["sync"] == "Synced"


def test_known_type_fields_in_rules(tmp_path):
    def widget(cpu):
        text = f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: prod\nspec:\n  cpu: {cpu}\n"
        return trueup.load_manifests(text)

    rules = tmp_path / "rules.yaml"
    rules.write_text("[]\n")
    assert trueup.diff(widget("'0.5'"), widget("500m"), ignore=rules)["sync"] == "OutOfSync"
    rules.write_text(
        "- group: example.com\n  kind: Widget\n  knownTypeFields:\n  - {field: spec.cpu, type: core/Quantity}\n"
    )
    assert trueup.diff(widget("'0.5'"), widget("500m"), ignore=rules)["sync"] == "Synced"
    rules.write_text(
        "- group: example.com\n  kind: Widget\n  knownTypeFields:\n  - {field: spec.cpu, type: core/v1/Nothing}\n"
    )
    with pytest.raises(trueup.DiffError, match="knownTypeFields"):
        trueup.diff(widget("'0.5'"), widget("500m"), ignore=rules)


def test_tracking_method():
    desired = trueup.load_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: prod\n")
    live = trueup.load_manifests(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-annotation\n  namespace: prod\n"
        "  annotations:\n    argocd.argoproj.io/tracking-id: web:/ConfigMap:prod/by-annotation\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: by-label\n  namespace: prod\n"
        "  labels:\n    app.kubernetes.io/instance: web\n"
    )

    def extraneous(**options):
        report = trueup.diff(desired, live, app="web", **options)
        return [r["id"] for r in report["resources"] if r["status"] == "Extraneous"]

    assert extraneous() == ["/ConfigMap/prod/by-annotation"]
    assert extraneous(tracking_method="label") == ["/ConfigMap/prod/by-label"]
    assert len(extraneous(tracking_method="annotation+label")) == 2
    with pytest.raises(trueup.DiffError, match="trackingMethod"):
        extraneous(tracking_method="labels")


def test_ignore_resource_status_field():
    def widget(phase):
        return trueup.load_manifests(f"apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nstatus:\n  phase: {phase}\n")

    assert trueup.diff(widget("Ready"), widget("Failed"))["sync"] == "Synced"
    report = trueup.diff(widget("Ready"), widget("Failed"), ignore_resource_status_field="none")
    assert [c["path"] for c in report["resources"][0]["changes"]] == ["status.phase"]
    with pytest.raises(trueup.DiffError, match="ignoreResourceStatusField"):
        trueup.diff(widget("Ready"), widget("Failed"), ignore_resource_status_field="some")


def test_crds_tell_which_custom_kinds_are_cluster_scoped(tmp_path):
    issuer = trueup.load_manifests("apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\n")
    crd = tmp_path / "crd.yaml"
    crd.write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\n"
        "spec:\n  group: cert-manager.io\n  names: {kind: ClusterIssuer, plural: clusterissuers}\n  scope: Cluster\n  versions: []\n"
    )
    empty = trueup.load_manifests("")
    assert "namespace: prod" in trueup.diff(issuer, empty, namespace="prod")["resources"][0]["diff"]
    assert "namespace" not in trueup.diff(issuer, empty, namespace="prod", crds=crd)["resources"][0]["diff"]


def test_diff_errors(tmp_path):
    rules = tmp_path / "ignore.yaml"
    rules.write_text("- kind: Deployment\n  jsonPointer: [/spec]\n")
    with pytest.raises(trueup.DiffError) as err:
        trueup.diff(DIFF / "desired.yaml", DIFF / "live.json", ignore=rules)
    assert err.value.code == "E_DIFF"
    assert err.value.file == str(rules)
    with pytest.raises(trueup.IoError):
        trueup.diff(DIFF / "desired.yaml", tmp_path / "absent.json")
    with pytest.raises(TypeError):
        trueup.diff(42, DIFF / "live.json")


def test_diff_takes_the_last_applied_state_as_a_manifest_set_or_paths(tmp_path):
    def deployment(replicas):
        return (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
            f"spec:\n  replicas: {replicas}\n"
        )

    desired, live = trueup.load_manifests(deployment(3)), trueup.load_manifests(deployment(5))

    def causes(report):
        return [(c["path"], c["cause"]) for r in report["resources"] for c in r["changes"]]

    # Git still says 3 and so did the last apply: the cluster moved (drift).
    applied = trueup.load_manifests(deployment(3))
    assert causes(trueup.diff(desired, live, last_applied=applied)) == [("spec.replicas", "drift")]
    # 5 was applied: Git moved (change).
    (tmp_path / "applied.yaml").write_text(deployment(5))
    for last in [trueup.load_manifests(deployment(5)), tmp_path / "applied.yaml"]:
        assert causes(trueup.diff(desired, live, last_applied=last)) == [("spec.replicas", "change")]
    assert len(applied) == 1


def git(repo, *args):
    import subprocess

    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True,
        env={"PATH": os.environ["PATH"], "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1"},
    ).stdout.strip()


@pytest.fixture
def gitops(tmp_path):
    """A repository with the bundled example and one promotion."""
    import shutil

    shutil.copytree(REPO / "examples" / "gitops", tmp_path, dirs_exist_ok=True)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.name", "Py Test")
    git(tmp_path, "config", "user.email", "py@example.com")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "Initial")
    prod = tmp_path / "apps" / "checkout" / "overlays" / "prod" / "kustomization.yaml"
    prod.write_text(prod.read_text() + "namePrefix: v2-\n")
    git(tmp_path, "commit", "-q", "-am", "Rename prod objects")
    return tmp_path


def test_git_build_history_and_revisions(gitops):
    prod = "apps/checkout/overlays/prod"
    old = trueup.build(prod, rev="HEAD~1", repo=gitops)
    new = trueup.build(gitops / prod, rev="main", repo=gitops)
    assert old.to_yaml() != new.to_yaml()
    assert new.to_yaml() == trueup.build(gitops / prod).to_yaml()
    log = trueup.history(prod, repo=gitops)
    assert [c["subject"] for c in log] == ["Rename prod objects", "Initial"]
    assert log[0]["id"] == git(gitops, "rev-parse", "HEAD")
    assert log[0]["files"] == [f"{prod}/kustomization.yaml"]
    assert trueup.resolve("HEAD~1", repo=gitops) == log[1]["id"]
    delta = trueup.diff_revisions(prod, "HEAD~1", "HEAD", repo=gitops)
    assert delta["summary"]["added"] > 0 and delta["summary"]["removed"] > 0
    with pytest.raises(trueup.GitError) as err:
        trueup.history(prod, repo=gitops, rev="no-such")
    assert err.value.code == "E_GIT"


def test_git_commit_compare_and_swap_and_rollback(gitops):
    tip = git(gitops, "rev-parse", "main")
    first = trueup.commit(
        "main", {"apps/checkout/overlays/prod/release.txt": "v2\n", "README.md": None},
        "Release v2", parent=tip, repo=gitops, author=("Bot", "bot@example.com", 1800000000),
    )
    assert git(gitops, "rev-parse", "main") == first
    assert git(gitops, "log", "-1", "--format=%an %at", first) == "Bot 1800000000"
    with pytest.raises(trueup.BranchMovedError) as err:
        trueup.commit("main", {"x.txt": b"x"}, "Stale", parent=tip, repo=gitops)
    assert err.value.code == "E_BRANCH_MOVED"
    assert (err.value.branch, err.value.expected) == ("main", tip)
    assert err.value.actual == git(gitops, "rev-parse", "main")
    back = trueup.rollback("apps/checkout/overlays/prod", to="HEAD~2", repo=gitops)
    assert back["commit"] == git(gitops, "rev-parse", "main")
    assert back["branch"] == "refs/heads/main" and back["checked_out"] is True
    assert "git restore --source=HEAD" in back["message"]
    assert git(gitops, "diff", "--name-only", "HEAD~3", back["commit"], "--", "apps/checkout/overlays/prod") == ""
    again = trueup.rollback(str(gitops / "apps/checkout/overlays/prod"), to="HEAD~3")
    assert again["commit"] is None and "already as it was" in again["message"]
    with pytest.raises(trueup.GitError):
        trueup.rollback("apps/checkout/overlays/prod", repo=gitops)


DIGEST = "sha256:" + "1" * 64
REVISION = "0123456789abcdef0123456789abcdef01234567"


def test_release_manifest_id_verify_and_compare(tmp_path):
    release = trueup.ReleaseManifest.create(
        "shop-1", "https://github.com/acme/shop", REVISION, images=[f"ghcr.io/acme/api:1.4@{DIGEST}"]
    )
    assert release.verify() == []
    assert release.images == [{"name": "ghcr.io/acme/api", "digest": DIGEST, "tag": "1.4"}]
    # The id is the spec's: a renamed release keeps it; the YAML reads back the same.
    renamed = trueup.ReleaseManifest.from_yaml(release.to_yaml().replace("shop-1", "shop-one"))
    assert renamed.name == "shop-one" and renamed.id == release.id
    path = tmp_path / "release.json"
    path.write_text(release.to_json())
    assert trueup.ReleaseManifest.load(path).id == release.id
    bad = trueup.ReleaseManifest.create("x", "r", "nothex", images=["ghcr.io/acme/api:1.4"])
    assert [p["path"] for p in bad.verify()] == ["spec.source.revision", "spec.images[0].digest"]
    other = trueup.ReleaseManifest.create("shop-2", "https://github.com/acme/shop", REVISION, images=[])
    assert release.compare(other) == {
        "revision": None,
        "images": [{"name": "ghcr.io/acme/api", "old": f"ghcr.io/acme/api@{DIGEST}", "new": None}],
        "artifacts": [],
    }
    with pytest.raises(trueup.ReleaseError):
        trueup.ReleaseManifest.from_yaml("- a list\n")


def test_apply_release_pins_images_and_keeps_comments(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources:\n- deploy.yaml\n")
    (base / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.3\n"
    )
    prod = tmp_path / "prod"
    prod.mkdir()
    original = "# owner: team-shop\nresources:\n- ../base\nimages:\n- name: ghcr.io/acme/api\n  newTag: \"1.3\" # bot\n"
    (prod / "kustomization.yaml").write_text(original)
    release = trueup.ReleaseManifest.create(
        "shop-1", "https://github.com/acme/shop", REVISION,
        images=[f"ghcr.io/acme/api@{DIGEST}", f"ghcr.io/acme/unused@{DIGEST}"],
    )
    planned = trueup.apply_release(release, prod, write=False)
    assert [e["path"].rsplit("/", 1)[-1] for e in planned] == ["kustomization.yaml", "release-manifest.ref"]
    assert (prod / "kustomization.yaml").read_text() == original
    edits = trueup.apply_release(release, prod)
    assert edits == planned
    assert (prod / "kustomization.yaml").read_text() == original.replace('newTag: "1.3"', f'digest: "{DIGEST}"')
    images = [c["image"] for o in trueup.build(prod) for c in o["spec"]["template"]["spec"]["containers"]]
    assert images == [f"ghcr.io/acme/api@{DIGEST}"]
    assert trueup.apply_release(release, prod) == []
    with pytest.raises(trueup.OverlayError):
        trueup.apply_release(release, tmp_path)  # no kustomization there
    invalid = trueup.ReleaseManifest.create("x", "r", REVISION, images=["ghcr.io/acme/api:1.4"])
    with pytest.raises(trueup.ReleaseError, match="spec.images.0..digest"):
        trueup.apply_release(invalid, prod)
    assert (prod / "kustomization.yaml").read_text() == original.replace('newTag: "1.3"', f'digest: "{DIGEST}"')


def _git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_DATE="1790000000 +0000", GIT_COMMITTER_DATE="1790000000 +0000",
               GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    import subprocess
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def _shop(root):
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "T")
    _git(root, "config", "user.email", "t@example.com")
    files = {
        "base/kustomization.yaml": "resources:\n- api.yaml\n",
        "base/api.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n"
                         "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.0\n",
        "staging/kustomization.yaml": f"resources:\n- ../base\nimages:\n- name: ghcr.io/acme/api\n  digest: {DIGEST}\n",
        "prod/kustomization.yaml": "resources:\n- ../base # shared\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "shop")


def test_promote_commits_on_a_deploy_branch_and_refuses_untested_digests(tmp_path):
    _shop(tmp_path)
    promotion = trueup.promote(tmp_path / "staging", tmp_path / "prod", repo=tmp_path)
    assert promotion["branch"].startswith("deploy/prod-") and not promotion["existing"]
    assert promotion["images"][0]["digest"] == DIGEST
    assert _git(tmp_path, "status", "--porcelain") == ""
    shown = _git(tmp_path, "show", f"{promotion['branch']}:prod/kustomization.yaml")
    assert shown == f"resources:\n- ../base # shared\nimages:\n- name: ghcr.io/acme/api\n  digest: {DIGEST}"
    assert trueup.promote(tmp_path / "staging", tmp_path / "prod", repo=tmp_path)["existing"]
    untested = trueup.ReleaseManifest.create("r", "x", REVISION, images=["ghcr.io/acme/api@sha256:" + "9" * 64])
    with pytest.raises(trueup.UntestedError) as err:
        trueup.promote(tmp_path / "staging", tmp_path / "prod", release=untested, repo=tmp_path)
    assert err.value.code == "E_UNTESTED" and "9999" in err.value.images
    allowed = trueup.promote(tmp_path / "staging", tmp_path / "prod", release=untested, allow_untested="hotfix", repo=tmp_path)
    assert allowed["images"][0]["testedAt"] is None and "hotfix" in allowed["body"]


def test_evidence_bundle_ready_reproducible_and_tamper_evident(tmp_path):
    _shop(tmp_path)
    rev = _git(tmp_path, "rev-parse", "HEAD")
    release = trueup.ReleaseManifest.create("r", "x", REVISION, images=[f"ghcr.io/acme/api@{DIGEST}"])
    live = trueup.load_manifests(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: default\n  generation: 1\nspec:\n"
        f"  template:\n    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api@{DIGEST}\n"
        "status:\n  observedGeneration: 1\n  replicas: 1\n  updatedReplicas: 1\n  readyReplicas: 1\n  availableReplicas: 1\n"
    )
    # The same inputs give the same id in every language: the Node test
    # builds the same repository and asserts the same id.
    plain = trueup.evidence(release, tmp_path / "staging", rev, live, created_at="2026-11-29T12:00:00Z", repo=tmp_path)
    assert rev == "8993d80808ce9a68076e2118fbfd148f3a9c4114"
    assert plain["id"] == "sha256:5c117a7398a0f2b806300640164b0aba5b8cc43c6f5ce3968266853df35b6182"
    results = tmp_path / "smoke.txt"
    results.write_text("3 passed\n")
    bundle = trueup.evidence(release, tmp_path / "staging", rev, live, results=[results], created_at="2026-11-29T12:00:00Z", repo=tmp_path)
    assert bundle["ready"] is True and bundle["imageDrift"] == []
    assert bundle["attachments"][0]["sha256"].startswith("sha256:")
    again = trueup.evidence(release, tmp_path / "staging", rev, live, results=[results], created_at="2026-11-29T12:00:00Z", repo=tmp_path)
    assert again["id"] == bundle["id"]
    assert trueup.verify_evidence(bundle) is True
    assert trueup.verify_evidence(json.dumps(bundle)) is True
    bundle["revision"] = "0" * 40
    with pytest.raises(trueup.ReleaseError, match="was changed"):
        trueup.verify_evidence(bundle)
    assert "# Evidence: r in `staging`" in trueup.evidence_markdown(again)


class _PullRequests:
    """A local HTTP server that records pull request calls as GitHub's API
    receives them: 201 the first time for a branch, 422 after."""

    def __init__(self):
        import http.server

        calls = self.calls = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append((self.path, self.headers["Authorization"], body))
                seen = sum(1 for _, _, b in calls if b["head"] == body["head"])
                self.send_response(201 if seen == 1 else 422)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"html_url": "http://forge.test/acme/shop/pull/1"}).encode())

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_promote_example_pushes_the_branch_and_opens_the_pull_request(tmp_path, monkeypatch, capsys):
    import importlib.util

    origin = tmp_path / "origin.git"
    work = tmp_path / "work"
    work.mkdir()
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    _shop(work)
    _git(work, "remote", "add", "origin", str(origin))
    _git(work, "push", "-q", "origin", "main")
    spec = importlib.util.spec_from_file_location("promote_example", REPO / "examples" / "promote.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    server = _PullRequests()
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    args = ["--from", str(work / "staging"), "--to", str(work / "prod"), "--repo-slug", "acme/shop",
            "--api", server.url, "--repo", str(work)]
    try:
        assert example.main(args) == 0
        assert example.main(args) == 0  # again: the branch is there, the pull request too
    finally:
        server.close()
    branch = _git(origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/deploy/")
    assert branch.startswith("deploy/prod-")
    path, auth, body = server.calls[0]
    assert (path, auth) == ("/repos/acme/shop/pulls", "Bearer t0ken")
    assert body["head"] == branch and body["base"] == "main"
    assert body["title"].endswith("to prod") and "ghcr.io/acme/api" in body["body"]
    assert len(server.calls) == 2
    assert "http://forge.test/acme/shop/pull/1" in capsys.readouterr().out


def test_build_all_shards_cover_every_overlay_once():
    root = REPO / "examples" / "gitops"
    every = [o["path"] for o in trueup.build_all(root)]
    parts = [[o["path"] for o in trueup.build_all(root, shard=f"{i}/3")] for i in (1, 2, 3)]
    assert sorted(p for part in parts for p in part) == sorted(every)
    with pytest.raises(trueup.OverlayError, match="shard"):
        trueup.build_all(root, shard="4/3")


def test_build_all_with_a_render_cache(tmp_path):
    examples = REPO / "examples" / "gitops"
    cache = tmp_path / "cache"
    fresh = [r["manifests"].to_yaml() for r in trueup.build_all(examples)]
    first = [r["manifests"].to_yaml() for r in trueup.build_all(examples, render_cache=cache)]
    again = [r["manifests"].to_yaml() for r in trueup.build_all(examples, render_cache=str(cache))]
    assert first == fresh and again == fresh
    assert len(list(cache.iterdir())) == len(fresh)


def test_build_all_at_a_revision_with_a_render_cache(tmp_path):
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    repo = tmp_path / "repo"
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    for app in ("a", "b"):
        (repo / "apps" / app).mkdir(parents=True)
        (repo / "apps" / app / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
        (repo / "apps" / app / "cm.yaml").write_text(cm.format(app))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env=env)
    (repo / "apps" / "b" / "cm.yaml").write_text(cm.format("b2"))  # not committed
    cache = tmp_path / "cache"
    for _ in range(2):  # cold, then warm
        results = trueup.build_all(repo / "apps", rev="HEAD", render_cache=cache)
        assert [(r["path"], r["manifests"].ids()) for r in results] == [
            ("a", ["/ConfigMap//a"]), ("b", ["/ConfigMap//b"])]
    blob = subprocess.run(["git", "rev-parse", "HEAD:apps/a/cm.yaml"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    assert any(f"git-blob:{blob}" in entry.read_text() for entry in cache.iterdir())
    # The repository named, the root relative to it; a bad revision raises.
    [a, b] = trueup.build_all("apps", rev="HEAD", repo=repo)
    assert b["manifests"].ids() == ["/ConfigMap//b"]
    with pytest.raises(trueup.TrueupError, match="no-such-rev"):
        trueup.build_all(repo / "apps", rev="no-such-rev")
