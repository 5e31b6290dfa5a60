//! Nothing: the guests are this package's examples (see Cargo.toml).
