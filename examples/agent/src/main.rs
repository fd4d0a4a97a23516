//! `heron-agent`: the command line of the reference agent.

fn main() {}
