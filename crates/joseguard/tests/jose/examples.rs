//! The programs in `examples/`, run as they are (`cargo run --example NAME` runs the same code).

#[path = "../../examples/client_assertion.rs"]
mod client_assertion;
#[path = "../../examples/issue_jwt.rs"]
mod issue_jwt;
#[path = "../../examples/nested_id_token.rs"]
mod nested_id_token;
#[path = "../../examples/quickstart.rs"]
mod quickstart;
#[path = "../../examples/verify_jwt.rs"]
mod verify_jwt;

#[test]
fn every_example_runs() {
    client_assertion::main().unwrap();
    issue_jwt::main().unwrap();
    nested_id_token::main().unwrap();
    quickstart::main().unwrap();
    verify_jwt::main().unwrap();
}
