//! Builds the C baselines the benches compare against, when their
//! libraries are installed; the benches skip a baseline that is missing.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(have_sofia)");
    println!("cargo::rerun-if-changed=baseline/sofia_shim.c");
    if let Ok(lib) = pkg_config::Config::new().probe("sofia-sip-ua") {
        let mut build = cc::Build::new();
        build
            .file("baseline/sofia_shim.c")
            .opt_level(2)
            .warnings(false);
        for p in &lib.include_paths {
            build.include(p);
        }
        build.compile("heron_sofia_shim");
        // After the shim, so the linker sees the library after its user.
        for l in &lib.libs {
            println!("cargo::rustc-link-lib={l}");
        }
        println!("cargo::rustc-cfg=have_sofia");
    }
}
