//! The Argo CD Config Management Plugin of `examples/argocd-cmp`: its
//! `generate` command run the way Argo CD's cmp-server runs it (in the
//! Application's path, with Argo CD's environment, standard output only)
//! prints what `kustomize build` prints for that path.

use std::path::{Path, PathBuf};
use std::process::Command;

use trueup_core::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `spec.generate.command` followed by `spec.generate.args` of plugin.yaml.
fn generate_command() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("examples/argocd-cmp/plugin.yaml"))
        .expect("plugin.yaml");
    let doc = trueup_core::parse_documents(&text)
        .expect("YAML")
        .remove(0)
        .value;
    assert_eq!(
        doc.get_path(&["kind"]).and_then(Value::as_str),
        Some("ConfigManagementPlugin")
    );
    let list = |key: &str| -> Vec<String> {
        doc.get_path(&["spec", "generate", key])
            .and_then(Value::as_seq)
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a string").to_owned())
            .collect()
    };
    let mut command = list("command");
    command.extend(list("args"));
    command
}

/// Runs the command as cmp-server's runCommand does: `command[0]` with the
/// rest as arguments, in `app`, with only `env` (plus a PATH that finds the
/// freshly built trueup and a shell).
fn run_plugin(app: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let command = generate_command();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_trueup"));
    let path = format!(
        "{}:/usr/local/bin:/usr/bin:/bin",
        bin.parent().expect("a folder").display()
    );
    Command::new(&command[0])
        .args(&command[1..])
        .current_dir(app)
        .env_clear()
        .env("PATH", path)
        .env("ARGOCD_APP_NAME", "web-prod")
        .env("ARGOCD_APP_NAMESPACE", "prod")
        .env(
            "ARGOCD_APP_REVISION",
            "0123456789abcdef0123456789abcdef01234567",
        )
        .env("ARGOCD_APP_SOURCE_PATH", "apps/web/overlays/prod")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/platform/gitops.git",
        )
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "main")
        .envs(env.iter().copied())
        .output()
        .expect("the plugin command runs")
}

#[test]
fn the_plugin_prints_what_kustomize_prints() {
    for case in [
        "realistic-web-app",
        "vars-ingress-host",
        "plugin-transformers-directory",
    ] {
        let app = root().join("tests/conformance").join(case);
        let out = run_plugin(&app, &[]);
        assert!(
            out.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read(app.join("expected.yaml")).expect("the kustomize golden");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&want),
            "{case}"
        );
    }
}

#[test]
fn build_options_come_from_the_applications_plugin_env() {
    let dir = std::env::temp_dir().join(format!("trueup-cmp-{}", std::process::id()));
    let app = dir.join("app");
    std::fs::create_dir_all(&app).expect("creates");
    std::fs::write(dir.join("shared.env"), "REGION=eu\n").expect("writes");
    std::fs::write(
        app.join("kustomization.yaml"),
        "configMapGenerator:\n- name: region\n  envs:\n  - ../shared.env\n",
    )
    .expect("writes");

    // kustomize's default load restrictor refuses the file outside the path:
    // the error goes to standard error, nothing to standard output.
    let refused = run_plugin(&app, &[]);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("load restrictor"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let allowed = run_plugin(
        &app,
        &[("ARGOCD_ENV_TRUEUP_BUILD_OPTIONS", "--load-restrictor none")],
    );
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    let text = String::from_utf8(allowed.stdout).expect("UTF-8");
    assert!(
        text.contains("REGION: eu") && text.contains("kind: ConfigMap"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
