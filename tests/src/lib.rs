//! Checks on the workspace as a whole live in `tests/`: the layering rule of `docs/architecture.md`,
//! and that the README's commands are the ones CI runs. This crate has no code of its own.
