//! Fuzz heron-agent's configuration loader: any text as `agent.toml` is
//! either loaded or rejected with a list of issues; it never panics.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let env: HashMap<String, String> = HashMap::from([("PW".to_owned(), "x".to_owned())]);
    if let Err(e) = heron_agent::config::load_str(&text, "/nonexistent".as_ref(), &env) {
        let _ = e.to_string();
    }
});
