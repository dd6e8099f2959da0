//! Render an overlay of the example GitOps repository and list what it holds.
//!
//!     cargo run --example build_overlay -- examples/gitops/apps/checkout/overlays/prod

#![allow(clippy::print_stdout)] // an example prints its result

fn main() -> Result<(), trueup_core::Error> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/gitops/apps/checkout/overlays/prod".to_owned());
    let set = trueup_core::build(&dir)?;
    for resource in &set {
        eprintln!("{}", resource.id());
    }
    // The same bytes `kustomize build` prints.
    print!("{}", set.to_yaml());
    Ok(())
}
