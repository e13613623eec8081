//! The deployment files: docker-compose.yml validates against the Compose Specification schema
//! (there is no Docker engine here to run it), and the validator does catch mistakes.

use std::process::Command;

use crate::support::repo;

fn validate(file: &std::path::Path) -> std::process::Output {
    Command::new("node")
        .arg(repo().join("tests/peers/validate-compose.js"))
        .arg(file)
        .output()
        .expect("node")
}

#[test]
fn the_compose_file_is_valid_and_mistakes_are_caught() {
    let ok = validate(&repo().join("docker-compose.yml"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("2 services"));

    let original = std::fs::read_to_string(repo().join("docker-compose.yml")).expect("read");
    // In the repo's directory, so the build context and Dockerfile resolve.
    for (what, from, to) in [
        (
            "a misspelt key",
            "    restart: unless-stopped\n",
            "    restrat: unless-stopped\n",
        ),
        (
            "an unknown condition",
            "condition: service_healthy",
            "condition: when_ready",
        ),
        (
            "an undeclared volume",
            "- kanava-data:/var",
            "- kanava-state:/var",
        ),
        (
            "a missing service",
            "      synapse:\n        # The",
            "      homeserver:\n        # The",
        ),
    ] {
        assert!(
            original.contains(from),
            "{what}: pattern gone from the compose file"
        );
        let broken = repo().join(format!(".compose-test-{}.yml", rand::random::<u32>()));
        std::fs::write(&broken, original.replacen(from, to, 1)).expect("write");
        let out = validate(&broken);
        let _ = std::fs::remove_file(&broken);
        assert!(!out.status.success(), "{what} was not caught");
    }
}
