//! The README's promises to a newcomer, held to the project: the main job is one command after
//! set-up (nothing to export), the stated Rust version is the one Cargo.toml requires, and the test
//! command is the one `.ci/run` runs.

mod support;

fn readme() -> String {
    std::fs::read_to_string(support::root().join("README.md")).unwrap()
}

/// The code blocks of the README's "The two commands" section.
fn two_commands() -> Vec<String> {
    let text = readme();
    let start = text.find("## The two commands").expect("the section");
    let end = text[start + 3..]
        .find("\n## ")
        .map(|e| e + start + 3)
        .unwrap_or(text.len());
    text[start..end]
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn the_main_job_is_one_command_after_set_up_with_nothing_to_export() {
    let blocks = two_commands();
    assert_eq!(
        blocks.len(),
        2,
        "set-up + main job, then the test command: {blocks:?}"
    );
    let main: Vec<&str> = blocks[0].lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        main,
        [
            "bash ci/setup.sh",
            "cargo run -p yadoc --release -- check --tier static,app,image"
        ]
    );
    assert!(!blocks[0].contains("export"), "{}", blocks[0]);
}

#[test]
fn the_readme_test_command_is_what_ci_runs() {
    let blocks = two_commands();
    let ci = std::fs::read_to_string(support::root().join(".ci/run")).unwrap();
    let test = blocks[1].trim();
    assert_eq!(test, "cargo test --workspace");
    assert!(ci.lines().any(|l| l.trim() == test), "{ci}");
    assert!(ci.contains("bash ci/setup.sh"), "{ci}");
}

#[test]
fn the_readme_states_the_rust_version_cargo_requires() {
    let cargo = std::fs::read_to_string(support::root().join("Cargo.toml")).unwrap();
    let msrv = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_string())
        .expect("rust-version in Cargo.toml");
    assert!(
        readme().contains(&format!("Rust ≥ {msrv}")),
        "README must say Rust ≥ {msrv}"
    );
}

#[test]
fn the_readme_and_design_count_the_static_checks_there_are() {
    let n = yadoc::checks::STATIC.len();
    assert!(
        readme().contains(&format!("| built, {n} checks |")),
        "README's tier table says how many static checks there are ({n})"
    );
    let design = std::fs::read_to_string(support::root().join("DESIGN.md")).unwrap();
    assert!(
        design.contains(&format!("static ({n} checks,")),
        "DESIGN.md says {n}"
    );
    // and the README's list names every one
    for id in yadoc::checks::all_ids() {
        assert!(readme().contains(&format!("`{id}`")), "README lists {id}");
    }
}
